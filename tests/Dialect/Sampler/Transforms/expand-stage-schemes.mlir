// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve | FileCheck %s
// Continuous processes and sigma schedules expand into linear stage schemes:
// per step, network evaluations whose inputs and result are affine-step
// chains over the state, the network outputs and noise.

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// Euler-Maruyama on VP: one evaluation at t = 1, 0.75 (two steps to t_min =
// 0.5), then x' = a x + b z + c s. The prior is N(0, I): no scaling.
// CHECK-LABEL: func.func @vp_em
// CHECK-NOT: score.mul
// CHECK: sampler.loop %[[I:.*]] steps 2 iter_args(%[[X:.*]] = %arg0)
// CHECK: %[[Z:.*]] = sampler.randn %[[X]]
// CHECK: %[[T:.*]] = sampler.timestep %[[I]] for %[[X]] values [1.0, 0.75]
// CHECK: %[[S:.*]] = func.call @net(%[[X]], %[[T]])
// CHECK: sampler.affine_step %[[X]], %[[Z]], %[[S]] at %[[I]]
// CHECK-NOT: func.call
// CHECK: sampler.yield
func.func @vp_em(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<t_min = 0.5> method #sampler.euler_maruyama prediction score steps 2 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// Heun on VE: the prior N(0, sigma_max^2 I) scales the noise; the second
// evaluation reads the Euler predictor (an affine step of x and the first
// output) at the next time, and the update combines x and both outputs.
// CHECK-LABEL: func.func @ve_heun
// CHECK: %[[C:.*]] = arith.constant dense<5.000000e+01> : tensor<1xf32>
// CHECK: %[[P:.*]] = score.mul %arg0, %[[C]]
// CHECK: sampler.loop %[[I:.*]] steps 2 iter_args(%[[X:.*]] = %[[P]])
// CHECK: %[[T0:.*]] = sampler.timestep %[[I]] for %[[X]] values [1.0, 0.75]
// CHECK: %[[E0:.*]] = func.call @net(%[[X]], %[[T0]])
// CHECK: %[[U:.*]] = sampler.affine_step %[[X]], %[[E0]] at %[[I]]
// CHECK: %[[T1:.*]] = sampler.timestep %[[I]] for %[[U]] values [0.75, 0.5]
// CHECK: %[[E1:.*]] = func.call @net(%[[U]], %[[T1]])
// CHECK: %[[N:.*]] = sampler.affine_step %[[X]], %[[E0]], %[[E1]] at %[[I]]
// CHECK: sampler.yield %[[N]]
func.func @ve_heun(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ve<sigma_max = 50.0, t_min = 0.5> method #sampler.ode<solver = heun> prediction eps steps 2 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// RK4: four evaluations per step; annealed Langevin: K steps per level, the
// conditioning repeats each level K times.
// CHECK-LABEL: func.func @rk4
// CHECK-COUNT-4: func.call @net
// CHECK: sampler.yield
func.func @rk4(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.ode<solver = rk4> prediction v steps 3 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
// CHECK-LABEL: func.func @annealed
// CHECK: sampler.loop %[[I:.*]] steps 6
// CHECK: sampler.timestep %[[I]] for %{{.*}} values [1.0, 1.0, 0.1, 0.1, 0.01, 0.01]
func.func @annealed(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ncsn<sigma_min = 0.01, sigma_max = 1.0, levels = 3> method #sampler.annealed_langevin<steps_per_level = 2> prediction score steps 3 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// DPM-Solver++(2M) carries the previous step's data prediction: a second
// loop-carried value that starts as the prior and is yielded anew each step.
// logsnr spacing: the grid is uniform in log(alpha / sigma), so its middle
// time is 0.449, not 0.505.
// CHECK-LABEL: func.func @multistep
// CHECK: sampler.loop %[[I:.*]] steps 2 iter_args(%[[X:.*]] = %arg0, %[[H:.*]] = %arg0) -> (tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK: %[[T:.*]] = sampler.timestep %[[I]] for %[[X]] values [1.0, 0.44936{{[0-9]+}}]
// CHECK: %[[E:.*]] = func.call @net(%[[X]], %[[T]])
// CHECK: %[[NEXT:.*]] = sampler.affine_step %[[X]], %[[H]], %[[E]] at %[[I]]
// The first step is first order: no weight on the history.
// CHECK-SAME: b = array<f64: 0.000000e+00,
// CHECK: %[[D:.*]] = sampler.affine_step %[[X]], %[[E]] at %[[I]]
// CHECK: sampler.yield %[[NEXT]], %[[D]]
func.func @multistep(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<t_min = 0.01> method #sampler.ode<solver = dpm_solver_pp_2m, lower_order_final = 0> prediction eps steps 2 spacing logsnr : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// EDM churn: the first evaluation reads x + c z at the raised level
// sigma (1 + gamma), gamma = min(4/2, sqrt(2) - 1): 10 -> 14.142..., 1 -> 1.414...
// With denoise_final a third step evaluates at the last level and yields
// Tweedie's x0 (the grid [10, 1, 0.1] ends above 0).
// CHECK-LABEL: func.func @churn
// CHECK: sampler.loop %[[I:.*]] steps 3 iter_args(%[[X:.*]] = %{{.*}})
// CHECK: %[[Z:.*]] = sampler.randn %[[X]]
// CHECK: %[[U:.*]] = sampler.affine_step %[[X]], %[[Z]] at %[[I]]
// CHECK: sampler.timestep %[[I]] for %[[U]] values [14.142135623730951, 1.4142135623730951, 0.1]
// CHECK-COUNT-1: func.call @net(%[[U]]
// CHECK: func.call @net
// CHECK-NOT: func.call
// CHECK: sampler.yield
func.func @churn(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.sigmas<[10.0, 1.0, 0.1]> method #sampler.ode<solver = heun, churn = 4.0> prediction x0 steps 2 denoise_final : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// An ODE solver on a DDPM schedule (DPM-Solver's continuous form): t runs
// from 1 to 1/T = 0.1 (T = 10 training steps) and the network sees the
// continuous step index t T - 1: 9 and 4.5 for t = 1 and 0.55.
// CHECK-LABEL: func.func @ddpm_euler
// CHECK: sampler.loop %[[I:.*]] steps 2
// CHECK: sampler.timestep %[[I]] for %{{.*}} values [9.0, 4.5]
func.func @ddpm_euler(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<timesteps = 10> method #sampler.ode<solver = euler> prediction eps steps 2 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// diffusers' trailing spacing on a DDPM schedule: the ODE solvers visit the
// training steps 999, 749, 499, 249; final_sigma zero makes the last step end
// at the data, so it returns the x0 estimate (a = 1 / sqrt(abar_249)).
// CHECK-LABEL: func.func @trailing_to_zero
// CHECK: sampler.loop %[[I:.*]] steps 4
// CHECK: sampler.timestep %[[I]] for %{{.*}} values [999.0, 749.0, 499.0, 249.0]
// CHECK: sampler.affine_step {{.*}}{a = array<f64: 3.52533{{[0-9]+}}, 2.89427{{[0-9]+}}, 2.26386{{[0-9]+}}, 1.38133{{[0-9]+}}>
func.func @trailing_to_zero(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ode<solver = euler> prediction eps steps 4 spacing trailing final_sigma zero : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// Leading spacing with Stable Diffusion's steps_offset 1: steps 751 ... 1,
// the last one ending at t_min (training step 0).
// CHECK-LABEL: func.func @leading_offset
// CHECK: sampler.timestep %{{.*}} values [751.0, 501.0, 251.0, 1.0]
func.func @leading_offset(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ode<solver = euler> prediction eps steps 4 spacing leading steps_offset 1 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// final_sigma min on Karras sigmas: the grid [8, 2.29, 0.5] stops at
// sigma_min instead of appending 0, so 3 levels are 2 steps.
// CHECK-LABEL: func.func @karras_to_min
// CHECK: sampler.loop %[[I:.*]] steps 2
// CHECK: sampler.timestep %[[I]] for %{{.*}} values [8.0{{[0-9]*}}, 2.29224{{[0-9]+}}]
func.func @karras_to_min(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.karras<sigma_min = 0.5, sigma_max = 8.0> method #sampler.ode<solver = euler> prediction x0 steps 3 final_sigma min : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
