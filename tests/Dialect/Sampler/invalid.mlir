// RUN: tweedie-opt %s --split-input-file --verify-diagnostics

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{beta_start (0.02) must be below beta_end (1.0e-04)}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<beta_start = 0.02, beta_end = 1.0e-4> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{beta_end must lie in (0, 1), got 1.5}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<beta_end = 1.5> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{timesteps must be at least 2, got 1}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_cosine<timesteps = 1> method #sampler.ddpm<> prediction eps steps 1 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{t_min must lie in (0, 1), got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<t_min = 0.0> method #sampler.euler_maruyama prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{sigma_min must be positive and finite, got -1.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ve<sigma_min = -1.0> method #sampler.euler_maruyama prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{levels must be at least 2, got 1}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<levels = 1> method #sampler.annealed_langevin<> prediction score steps 1 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{rho must be positive and finite, got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.karras<rho = 0.0> method #sampler.ode<> prediction x0 steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{sigmas must be strictly decreasing, but sigma #2 (2.0) follows 1.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.sigmas<[10.0, 1.0, 2.0]> method #sampler.ode<> prediction x0 steps 2 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{sigma #1 must be positive and finite, got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.sigmas<[1.0, 0.0]> method #sampler.ode<> prediction x0 steps 1 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{eta must lie in [0, 1] (0: deterministic, 1: DDPM's posterior variance), got -0.5}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddim<eta = -0.5> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{eta must lie in [0, 1] (0: deterministic, 1: DDPM's posterior variance), got 1.0e+30}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddim<eta = 1.0e30> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{churn is an option of the EDM solvers ('euler', 'heun'), not of 'rk4'}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.karras<> method #sampler.ode<solver = rk4, churn = 1.0> prediction x0 steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{snr must be positive and finite, got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.pc<snr = 0.0> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{steps_per_level must be at least 1, got 0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<> method #sampler.annealed_langevin<steps_per_level = 0> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{rtol must be positive and finite, got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.rk45<rtol = 0.0> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{step_size must be positive and finite, got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<> method #sampler.langevin<step_size = 0.0> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{method 'ddim' needs a discrete variance-preserving schedule (#sampler.ddpm_linear, ddpm_scaled_linear or ddpm_cosine), got #sampler.vp<>}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.ddim<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{method 'euler_maruyama' integrates a continuous-time SDE and needs #sampler.vp, #sampler.subvp, #sampler.ve or #sampler.karras, got #sampler.ddpm_linear<>}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.euler_maruyama prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{method 'annealed_langevin' steps through noise levels and needs a variance-exploding schedule}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.annealed_langevin<> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{method 'mala' needs an energy network (prediction energy), got prediction score}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<> method #sampler.mala<> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{predictor 'ancestral' has no sub-VP form, got #sampler.subvp<>}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.subvp<> method #sampler.pc<predictor = ancestral> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{steps (2000) exceeds the 1000 levels of schedule #sampler.ddpm_linear<>}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 2000 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{network '@missing' does not name a func.func in this module}}
  %0 = sampler.solve @missing(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{network '@net' must have type (state, conditioning) -> output, got '(tensor<?x2xf32>) -> tensor<?x2xf32>'}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x3xf32>, %t: tensor<?xf32>) -> tensor<?x3xf32> {
  return %x : tensor<?x3xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{network '@net' state input 'tensor<?x3xf32>' does not match the samples' type 'tensor<?x2xf32>'}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?x1xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{network '@net' conditioning input must be tensor<Bxf32> for the batch of 'tensor<?x2xf32>', got 'tensor<?x1xf32>'}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32> {
  return %t : tensor<?xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{network '@net' output 'tensor<?xf32>' must have the samples' shape 'tensor<?x2xf32>' for prediction eps}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{energy network '@net' must return one energy per sample ([B] or [B, 1]), got 'tensor<?x2xf32>'}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<> method #sampler.mala<> prediction energy steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{expected attribute value}}
  %0 = sampler.solve @net(%n, %s, %first) schedule method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{invalid kind of attribute specified}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm<> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  %r = sampler.loop %k steps 3 iter_args(%a = %x) -> (tensor<?x2xf32>) {
    // expected-error @+1 {{coefficient table 'step_size' has 2 entries but the enclosing sampler.loop runs 3 steps (expected 3)}}
    %n = sampler.langevin_step %a, %y, %z at %k {step_size = array<f64: 0.1, 0.1>} : tensor<?x2xf32>
    sampler.yield %n : tensor<?x2xf32>
  }
  return %r : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{coefficient tables 'alpha_bar' (2 entries) and 'alpha_bar_prev' (1 entries) differ in length}}
  %0 = sampler.ddim_step %x, %y at %i {alpha_bar = array<f64: 0.1, 0.2>, alpha_bar_prev = array<f64: 0.3>, eta = 0.0 : f64} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{step 0 needs 0 < alpha_bar (0.9) < alpha_bar_prev (0.5) <= 1}}
  %0 = sampler.ddim_step %x, %y at %i {alpha_bar = array<f64: 0.9>, alpha_bar_prev = array<f64: 0.5>, eta = 0.0 : f64} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{eta = 1.0 > 0 makes the step stochastic and needs a 'noise' operand}}
  %0 = sampler.ddim_step %x, %y at %i {alpha_bar = array<f64: 0.5>, alpha_bar_prev = array<f64: 0.9>, eta = 1.0 : f64} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x3xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{operand 'noise' type 'tensor<?x3xf32>' must match state 'x' type 'tensor<?x2xf32>'}}
  %0 = "sampler.ddim_step"(%x, %y, %z, %i) <{alpha_bar = array<f64: 0.5>, alpha_bar_prev = array<f64: 0.9>, eta = 1.0 : f64}> : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x3xf32>, index) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x3xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{failed to verify that all of {x, score, noise, result} have same type}}
  %0 = "sampler.langevin_step"(%x, %y, %z, %i) <{step_size = array<f64: 0.1>}> : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x2xf32>, index) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{step sizes must be positive, got -1}}
  %0 = sampler.langevin_step %x, %y, %z at %i {step_size = array<f64: -1.0>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{coefficient table 'step_size' is empty}}
  %0 = sampler.langevin_step %x, %y, %z at %i {step_size = array<f64>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{step 0 needs diffusion_sq >= 0 and dt > 0, got 1.0 and 0.0}}
  %0 = sampler.euler_maruyama_step %x, %y, %z at %i {drift = array<f64: 0.0>, diffusion_sq = array<f64: 1.0>, dt = array<f64: 0.0>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{table 'c' has non-zero entries but there is no 'z' operand}}
  %0 = sampler.affine_step %x, %y at %i {a = array<f64: 1.0>, b = array<f64: 1.0>, c = array<f64: 0.5>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{converts eps to itself}}
  %0 = sampler.reparameterize %y at %i from eps to eps given %x {alpha = array<f64: 1.0>, sigma = array<f64: 1.0>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{energy is not a pointwise parameterisation}}
  %0 = sampler.reparameterize %y at %i from energy to score given %x {alpha = array<f64: 1.0>, sigma = array<f64: 1.0>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<4x2xf32>, %e: tensor<3xf32>, %i: index) -> tensor<4x2xf32> {
  // expected-error @+1 {{operand 'energy' shape [3] must be [B] for the batch of state shape [4, 2]}}
  %0 = sampler.mala_step %x -> %x energies(%e, %e) scores(%x, %x) uniform %e at %i {step_size = array<f64: 0.1>} : tensor<4x2xf32>, tensor<3xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @f(%x: tensor<4x2xf32>, %i: index) -> tensor<3xf32> {
  // expected-error @+1 {{operand 'result' shape [3] must be [B] for the batch of state shape [4, 2]}}
  %0 = sampler.timestep %i for %x values [1.0] : tensor<4x2xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %s: i64, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{draw must be non-negative, got -1}}
  %0 = sampler.randn %x, seed %s, sample %i, step %i draw -1 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = sampler.loop %k steps 3 iter_args(%a = %x) -> (tensor<?x2xf32>) {
    %c = arith.constant dense<0.0> : tensor<2x3xf32>
    %d = tensor.cast %c : tensor<2x3xf32> to tensor<?x3xf32>
    // expected-error @+1 {{yields ('tensor<?x3xf32>') but the enclosing sampler.loop carries ('tensor<?x2xf32>')}}
    sampler.yield %d : tensor<?x3xf32>
  }
  return %r : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{needs finite t_start != t_end, got 1.0 and 1.0}}
  %0 = sampler.ode_integrate %x {t_start = 1.0 : f64, t_end = 1.0 : f64, rtol = 1.0e-5 : f64, atol = 1.0e-5 : f64, max_steps = 100 : i64} : tensor<?x2xf32> {
  ^bb0(%y: tensor<?x2xf32>, %t: tensor<?xf32>):
    sampler.yield %y : tensor<?x2xf32>
  }
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{rtol and atol must be positive}}
  %0 = sampler.ode_integrate %x {t_start = 1.0 : f64, t_end = 0.0 : f64, rtol = 0.0 : f64, atol = 1.0e-5 : f64, max_steps = 100 : i64} : tensor<?x2xf32> {
  ^bb0(%y: tensor<?x2xf32>, %t: tensor<?xf32>):
    sampler.yield %y : tensor<?x2xf32>
  }
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<f32>, %t: tensor<?xf32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func @f(%n: tensor<f32>, %s: i64, %first: index) -> tensor<f32> {
  // expected-error @+1 {{samples must have a leading batch dim, got type 'tensor<f32>'}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.euler_maruyama prediction eps steps 10 : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<f32>, %s: i64, %i: index) -> tensor<f32> {
  // expected-error @+1 {{noise needs a leading sample dim, got 'tensor<f32>'}}
  %0 = sampler.randn %x, seed %s, sample %i, step %i : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<f32>, %i: index) -> tensor<?xf32> {
  // expected-error @+1 {{operand 'like' needs a leading batch dim}}
  %0 = sampler.timestep %i for %x values [1.0] : tensor<f32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{body must take the step index followed by one argument per iter_arg}}
  %r = "sampler.loop"(%x) <{steps = 2 : i64}> ({
  ^bb0(%i: i64, %a: tensor<?x2xf32>):
    "sampler.yield"(%a) : (tensor<?x2xf32>) -> ()
  }) : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{iter_arg #0 has init type 'tensor<?x2xf32>', body type 'tensor<?x2xf32>' and result type 'tensor<4x2xf32>'; they must agree}}
  %r = "sampler.loop"(%x) <{steps = 2 : i64}> ({
  ^bb0(%i: index, %a: tensor<?x2xf32>):
    "sampler.yield"(%a) : (tensor<?x2xf32>) -> ()
  }) : (tensor<?x2xf32>) -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{eta must lie in [0, 1], got -1.0}}
  %0 = sampler.ddim_step %x, %y, %z at %i {alpha_bar = array<f64: 0.5>, alpha_bar_prev = array<f64: 0.9>, eta = -1.0 : f64} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{snr must be positive, got 0.0}}
  %0 = sampler.langevin_corrector %x, %y, %z at %i {alpha = array<f64: 1.0>, snr = 0.0 : f64} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{coefficient table 'alpha' has a non-finite entry at step 0}}
  %0 = sampler.reparameterize %y at %i from eps to x0 given %x {alpha = array<f64: 0x7FF0000000000000>, sigma = array<f64: 1.0>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{lower_order_final must be 0 or 1, got 2}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.ode<solver = dpm_solver_pp_2m, lower_order_final = 2> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{corrector_steps must be at least 0, got -1}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<> method #sampler.pc<corrector_steps = -1> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{max_beta must lie in (0, 1), got 1.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_cosine<max_beta = 1.0> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{sigma_min (2.0) must be below sigma_max (1.0)}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<sigma_min = 2.0, sigma_max = 1.0> method #sampler.annealed_langevin<> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{beta_min must be positive and finite, got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.subvp<beta_min = 0.0> method #sampler.euler_maruyama prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{delta must be positive and finite, got 0.0}}
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ncsn<> method #sampler.annealed_langevin<delta = 0.0> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// The body is isolated from above: it may depend only on the step index.
func.func @precompute_captures(%w: tensor<4xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %t = sampler.precompute %i steps 2 -> (tensor<2x4xf32>) {
    // expected-error @+1 {{'sampler.yield' op using value defined outside the region}}
    sampler.yield %w : tensor<4xf32>
  }
  return
}

// -----

func.func @precompute_table_shape() {
  // expected-error @+1 {{table #0 has shape [3, 4] but stacking 2 rows of [4] gives [2, 4]}}
  %t = sampler.precompute %i steps 2 -> (tensor<3x4xf32>) {
    %v = arith.constant dense<1.0> : tensor<4xf32>
    sampler.yield %v : tensor<4xf32>
  }
  return
}

// -----

func.func @table_row_shape(%t: tensor<2x4xf32>, %i: index) {
  // expected-error @+1 {{row shape [3] is not the table shape [2, 4] without its leading step dim}}
  %r = sampler.table_row %t[%i] : tensor<2x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @time_value_table() {
  %t = sampler.precompute %i steps 2 -> (tensor<2x1xf32>) {
    // expected-error @+1 {{coefficient table 'values' has 1 entries but the enclosing sampler.precompute runs 2 steps (expected 2)}}
    %v = sampler.time_value %i values [1.0] : tensor<1xf32>
    sampler.yield %v : tensor<1xf32>
  }
  return
}

// -----

// expected-error @+1 {{'sampler.prediction' must be one of "eps", "x0", "v", "score", "energy", got "epsilon"}}
func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.prediction = "epsilon"} {
  return %x : tensor<?x2xf32>
}

// -----

// expected-error @+1 {{'sampler.schedule' must be a schedule (e.g. #sampler.vp<>), got #sampler.ddim<>}}
func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddim<>} {
  return %x : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{denoise_final: the last ddpm step already returns the x0 estimate (it ends at abar = 1)}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 denoise_final : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{spacing logsnr applies to the vp, subvp and ve schedules (and to DDPM schedules with the ODE solvers), not to #sampler.karras<> with}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.karras<> method #sampler.ode<> prediction eps steps 10 spacing logsnr : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{spacing trailing picks steps of a discrete DDPM schedule, not of #sampler.vp<>}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.ode<> prediction eps steps 10 spacing trailing : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  // expected-error @+1 {{levels lognormal draws sigma itself, for the ncsn, sigmas and karras schedules, not for #sampler.vp<>}}
  %0 = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.vp<> prediction eps levels lognormal : tensor<?x2xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x3xf32>, %t: tensor<?xf32>) -> tensor<?x3xf32> {
  return %x : tensor<?x3xf32>
}
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  // expected-error @+1 {{network '@net' state input 'tensor<?x3xf32>' does not match the samples' type 'tensor<?x2xf32>'}}
  %0 = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.vp<> prediction eps : tensor<?x2xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  // expected-error @+1 {{t_min must lie in (0, 1), got 0}}
  %0 = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.vp<> prediction eps {t_min = 0.0 : f64} : tensor<?x2xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @f(%u: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{table has a non-finite entry at index 1}}
  %0 = sampler.interpolate %u table [1.0, 0x7FF8000000000000] : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  // expected-error @+1 {{sliced score matching takes 1 to 64 probes, got 65}}
  %0 = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.ncsn<> prediction eps sliced 65 gaussian : tensor<?x2xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32> {
  return %t : tensor<?xf32>
}
func.func @f(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  // expected-error @+1 {{sliced score matching trains eps, x0 and score networks; an energy's needs third derivatives}}
  %0 = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.ncsn<> prediction energy sliced 1 rademacher : tensor<?x2xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%xl: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{network '@net' state input 'tensor<?x2xf32>' does not match the samples' type 'tensor<?x1xf32>'}}
  %0 = sampler.likelihood @net(%xl, %seed, %first) schedule #sampler.vp<> prediction eps : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%xl: tensor<?x3x3xf32>, %seed: i64, %first: index) -> tensor<?x3x3xf32> {
  // expected-error @+1 {{rows are [x, l]: the input must be [B, d + 1] with a static d >= 1}}
  %0 = sampler.likelihood @net(%xl, %seed, %first) schedule #sampler.vp<> prediction eps : tensor<?x3x3xf32>
  return %0 : tensor<?x3x3xf32>
}

// -----

func.func @classifier(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = score.param "w" : tensor<4x3xf32>
  %h = score.dense %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %h : tensor<?x3xf32>
}
func.func @f(%x: tensor<?x4xf32>, %y: tensor<?x5xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{classifier @classifier must return logits shaped like the labels, 'tensor<?x5xf32>'}}
  %0 = sampler.cross_entropy_loss @classifier(%x, %y) : tensor<?x4xf32>, tensor<?x5xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @f(%x: tensor<?x4xf32>, %y: tensor<?xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{labels must be [B, K] rows over K >= 2 classes}}
  %0 = sampler.cross_entropy_loss @classifier(%x, %y) : tensor<?x4xf32>, tensor<?xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @f(%x: tensor<8x4xf32>, %y: tensor<4x3xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{disagree on the batch}}
  %0 = sampler.cross_entropy_loss @classifier(%x, %y) : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{final_sigma applies to ddim, ddpm and the fixed-step ODE solvers on DDPM schedules, and to karras sigmas; not to euler_maruyama on #sampler.vp<>}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.euler_maruyama prediction eps steps 10 final_sigma zero : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{final_sigma = min: ddpm's last step is the posterior mean at the data}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 final_sigma min : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{denoise_final with final_sigma = zero: the last step already returns the x0 estimate}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ode<> prediction eps steps 10 spacing trailing denoise_final final_sigma zero : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{steps_offset (1) shifts the steps of spacing leading on a DDPM schedule up by k >= 0}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddim<> prediction eps steps 10 spacing trailing steps_offset 1 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{steps_offset (100) moves the noisiest step past the schedule's last training step 999}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddim<> prediction eps steps 10 spacing leading steps_offset 100 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
