// RUN: tweedie-opt %s | tweedie-opt | FileCheck %s
// RUN: tweedie-opt %s --mlir-print-op-generic | tweedie-opt | FileCheck %s

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @energy(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x1xf32> {
  %w = score.param "w" : tensor<2x1xf32>
  %e = score.dense %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %e : tensor<?x1xf32>
}

// Defaults are elided; float64 parameters print exactly (shortest round trip).
// CHECK-LABEL: func @schedules
func.func @schedules(%n: tensor<?x2xf32>, %s: i64, %first: index) {
  // CHECK: schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 100
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<timesteps = 1000, beta_start = 1.0e-4, beta_end = 0.02> method #sampler.ddpm<variance = posterior> prediction eps steps 100 : tensor<?x2xf32>
  // CHECK: schedule #sampler.ddpm_cosine<timesteps = 4000, s = 0.1> method #sampler.ddpm<variance = beta> prediction v steps 50
  %1 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_cosine<timesteps = 4000, s = 0.1> method #sampler.ddpm<variance = beta> prediction v steps 50 : tensor<?x2xf32>
  // CHECK: schedule #sampler.vp<beta_max = 18.5> method #sampler.euler_maruyama prediction score steps 1000
  %2 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<beta_max = 18.5> method #sampler.euler_maruyama prediction score steps 1000 : tensor<?x2xf32>
  // CHECK: schedule #sampler.subvp<t_min = 1.0e-05> method #sampler.pc<predictor = reverse_diffusion, snr = 0.075>
  %3 = sampler.solve @net(%n, %s, %first) schedule #sampler.subvp<t_min = 1.0e-5> method #sampler.pc<predictor = reverse_diffusion, corrector_steps = 1, snr = 0.075> prediction eps steps 1000 : tensor<?x2xf32>
  // CHECK: schedule #sampler.ve<sigma_max = 378.0> method #sampler.pc<predictor = ancestral, corrector_steps = 2>
  %4 = sampler.solve @net(%n, %s, %first) schedule #sampler.ve<sigma_max = 378.0> method #sampler.pc<predictor = ancestral, corrector_steps = 2> prediction score steps 1000 : tensor<?x2xf32>
  // CHECK: schedule #sampler.ncsn<sigma_max = 50.0, levels = 232> method #sampler.annealed_langevin<steps_per_level = 5, delta = 6.2e-06>
  %5 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<sigma_max = 50.0, levels = 232> method #sampler.annealed_langevin<steps_per_level = 5, delta = 6.2e-6> prediction score steps 232 denoise_final : tensor<?x2xf32>
  // CHECK: schedule #sampler.karras<rho = 5.0> method #sampler.ode<churn = 40.0> prediction x0 steps 18
  %6 = sampler.solve @net(%n, %s, %first) schedule #sampler.karras<sigma_min = 0.002, rho = 5.0> method #sampler.ode<solver = heun, churn = 40.0> prediction x0 steps 18 : tensor<?x2xf32>
  // CHECK: schedule #sampler.sigmas<[10.0, 1.0, 0.1]> method #sampler.ode<solver = dpm_solver_pp_2m, lower_order_final = 0>
  %7 = sampler.solve @net(%n, %s, %first) schedule #sampler.sigmas<[10.0, 1.0, 0.1]> method #sampler.ode<solver = dpm_solver_pp_2m, lower_order_final = 0> prediction eps steps 3 : tensor<?x2xf32>
  // CHECK: method #sampler.rk45<rtol = 0.001> prediction score steps 500 spacing logsnr
  %8 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.rk45<rtol = 1.0e-3> prediction score steps 500 spacing logsnr : tensor<?x2xf32>
  // CHECK: method #sampler.ddim<eta = 1.0> prediction eps steps 20 spacing leading
  %9 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddim<eta = 1.0> prediction eps steps 20 spacing leading : tensor<?x2xf32>
  // CHECK: method #sampler.langevin<step_size = 1.0e-04> prediction score steps 5000
  %10 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<> method #sampler.langevin<step_size = 1.0e-4> prediction score steps 5000 : tensor<?x2xf32>
  // CHECK: sampler.solve @energy({{.*}}) schedule #sampler.ncsn<> method #sampler.mala<> prediction energy steps 100
  %11 = sampler.solve @energy(%n, %s, %first) schedule #sampler.ncsn<> method #sampler.mala<> prediction energy steps 100 : tensor<?x2xf32>
  return
}

// CHECK-LABEL: func @expanded_ddpm
func.func @expanded_ddpm(%init: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // CHECK: sampler.loop %{{.*}} steps 2 iter_args(%{{.*}} = %{{.*}}) -> (tensor<?x2xf32>) {
  %r = sampler.loop %i steps 2 iter_args(%x = %init) -> (tensor<?x2xf32>) {
    // CHECK: sampler.timestep %{{.*}} for %{{.*}} values [999.0, 499.0] : tensor<?x2xf32> -> tensor<?xf32>
    %t = sampler.timestep %i for %x values [999.0, 499.0] : tensor<?x2xf32> -> tensor<?xf32>
    %eps = func.call @net(%x, %t) : (tensor<?x2xf32>, tensor<?xf32>) -> tensor<?x2xf32>
    // CHECK: sampler.randn %{{.*}}, seed %{{.*}}, sample %{{.*}}, step %{{.*}} : tensor<?x2xf32>
    %z = sampler.randn %x, seed %seed, sample %first, step %i : tensor<?x2xf32>
    // CHECK: sampler.randn %{{.*}} draw 3 : tensor<?x2xf32>
    %z3 = sampler.randn %x, seed %seed, sample %first, step %i draw 3 : tensor<?x2xf32>
    // CHECK: sampler.ancestral_step %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} {alpha_bar = array<f64: 4.000000e-05, 5.000000e-01>, alpha_bar_prev = array<f64: 5.000000e-01, 1.000000e+00>, variance = 1 : i32} : tensor<?x2xf32>
    %n = sampler.ancestral_step %x, %eps, %z at %i {alpha_bar = array<f64: 4.0e-5, 0.5>, alpha_bar_prev = array<f64: 0.5, 1.0>, variance = 1 : i32} : tensor<?x2xf32>
    // CHECK: sampler.yield %{{.*}} : tensor<?x2xf32>
    sampler.yield %n : tensor<?x2xf32>
  }
  return %r : tensor<?x2xf32>
}

// CHECK-LABEL: func @step_ops
func.func @step_ops(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index, %e: tensor<?xf32>) -> tensor<?x2xf32> {
  // CHECK: sampler.reparameterize %{{.*}} at %{{.*}} from eps to score given %{{.*}} {alpha = array<f64: 1.000000e+00>, sigma = array<f64: 2.000000e+00>} : tensor<?x2xf32>
  %0 = sampler.reparameterize %y at %i from eps to score given %x {alpha = array<f64: 1.0>, sigma = array<f64: 2.0>} : tensor<?x2xf32>
  // CHECK: sampler.langevin_step %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} {step_size = array<f64: 1.000000e-03>} : tensor<?x2xf32>
  %1 = sampler.langevin_step %x, %0, %z at %i {step_size = array<f64: 1.0e-3>} : tensor<?x2xf32>
  // CHECK: sampler.mala_step %{{.*}} -> %{{.*}} energies(%{{.*}}, %{{.*}}) scores(%{{.*}}, %{{.*}}) uniform %{{.*}} at %{{.*}} {{.*}} : tensor<?x2xf32>, tensor<?xf32>
  %2 = sampler.mala_step %x -> %1 energies(%e, %e) scores(%0, %0) uniform %e at %i {step_size = array<f64: 1.0e-3>} : tensor<?x2xf32>, tensor<?xf32>
  // CHECK: sampler.ddim_step %{{.*}}, %{{.*}} at %{{.*}} {{.*}}eta = 0.000000e+00 : f64} : tensor<?x2xf32>
  %3 = sampler.ddim_step %2, %y at %i {alpha_bar = array<f64: 0.5>, alpha_bar_prev = array<f64: 0.9>, eta = 0.0 : f64} : tensor<?x2xf32>
  // CHECK: sampler.ddim_step %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} {{.*}}eta = 1.000000e+00 : f64} : tensor<?x2xf32>
  %4 = sampler.ddim_step %3, %y, %z at %i {alpha_bar = array<f64: 0.5>, alpha_bar_prev = array<f64: 0.9>, eta = 1.0 : f64} : tensor<?x2xf32>
  // CHECK: sampler.euler_maruyama_step
  %5 = sampler.euler_maruyama_step %4, %0, %z at %i {drift = array<f64: -5.0>, diffusion_sq = array<f64: 10.0>, dt = array<f64: 1.0e-3>} : tensor<?x2xf32>
  // CHECK: sampler.langevin_corrector %{{.*}} {alpha = array<f64: 1.000000e+00>, snr = 1.600000e-01 : f64}
  %6 = sampler.langevin_corrector %5, %0, %z at %i {alpha = array<f64: 1.0>, snr = 0.16 : f64} : tensor<?x2xf32>
  // CHECK: sampler.affine_step %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} {a = array<f64: 1.000000e+00>, b = array<f64: 5.000000e-01>, c = array<f64: 2.500000e-01>}
  %7 = sampler.affine_step %6, %y, %z at %i {a = array<f64: 1.0>, b = array<f64: 0.5>, c = array<f64: 0.25>} : tensor<?x2xf32>
  // CHECK: sampler.affine_step %{{.*}}, %{{.*}} at %{{.*}} {a
  %8 = sampler.affine_step %7, %y at %i {a = array<f64: 1.0>, b = array<f64: 0.5>, c = array<f64: 0.0>} : tensor<?x2xf32>
  return %8 : tensor<?x2xf32>
}

// CHECK-LABEL: func @ode
func.func @ode(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // CHECK: sampler.ode_integrate %{{.*}} {atol = 1.000000e-05 : f64, max_steps = 1000 : i64, rtol = 1.000000e-05 : f64, t_end = 1.000000e-03 : f64, t_start = 1.000000e+00 : f64} : tensor<?x2xf32> {
  // CHECK-NEXT: ^bb0(%{{.*}}: tensor<?x2xf32>, %{{.*}}: tensor<?xf32>):
  %0 = sampler.ode_integrate %x {t_start = 1.0 : f64, t_end = 1.0e-3 : f64, rtol = 1.0e-5 : f64, atol = 1.0e-5 : f64, max_steps = 1000 : i64} : tensor<?x2xf32> {
  ^bb0(%y: tensor<?x2xf32>, %t: tensor<?xf32>):
    %v = func.call @net(%y, %t) : (tensor<?x2xf32>, tensor<?xf32>) -> tensor<?x2xf32>
    sampler.yield %v : tensor<?x2xf32>
  }
  return %0 : tensor<?x2xf32>
}
