// RUN: tweedie-opt %s --split-input-file --tweedie-adapt-network-schedule | FileCheck %s
// A network trained on one schedule, sampled on another: the solve calls an
// adapter that reads the network's conditioning at equal sigma/alpha and the
// state's scale alpha_n / alpha_s from float64 tables over the sampler's own
// conditioning (log sigma for sigma schedules), and clones the network in.

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 10>} {
  %e = score.time_embedding sinusoidal %t dim(2) : (tensor<?xf32>) -> tensor<?x2xf32>
  %y = score.add %x, %e : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
// CHECK-LABEL: func.func @net(
// CHECK-LABEL: func.func private @net_on_karras(
// CHECK-SAME: %[[X:.*]]: tensor<?x2xf32>, %[[S:.*]]: tensor<?xf32>) -> tensor<?x2xf32>
// CHECK: %[[LOG:.*]] = score.act log %[[S]] : tensor<?xf32>
// CHECK: %[[M:.*]] = score.mul %[[LOG]], %{{.*}} : (tensor<?xf32>, tensor<1xf32>) -> tensor<?xf32>
// CHECK: %[[U:.*]] = score.add %[[M]], %{{.*}} : (tensor<?xf32>, tensor<1xf32>) -> tensor<?xf32>
// The VP network's alpha = 1 / sqrt(1 + sigma^2) at sigma_min = 0.02 first.
// CHECK: %[[A:.*]] = sampler.interpolate %[[U]] table [0.99980005998{{[0-9]*}}, {{.*}}] : tensor<?xf32>
// CHECK: %[[AC:.*]] = score.reshape %[[A]] : tensor<?xf32> -> tensor<?x1xf32>
// CHECK: %[[XN:.*]] = score.mul %[[X]], %[[AC]]
// The fractional step, 0 .. 9 over the training steps' sigmas.
// CHECK: %[[STEP:.*]] = sampler.interpolate %[[U]] table [{{.*}}] : tensor<?xf32>
// CHECK: %[[E:.*]] = score.time_embedding sinusoidal %[[STEP]]
// CHECK: %[[Y:.*]] = score.add %[[XN]], %[[E]]
// CHECK: return %[[Y]]
// CHECK-LABEL: func.func @karras(
// CHECK: sampler.solve @net_on_karras(%arg0, %arg1, %arg2) schedule #sampler.karras<sigma_min = 0.02, sigma_max = 0.3> method #sampler.ode<> prediction eps
func.func @karras(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.karras<sigma_min = 0.02, sigma_max = 0.3> method #sampler.ode<> prediction eps steps 8 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// A v-predicting network's output becomes eps = (s x_n + a v) / (a^2 + s^2).
func.func @vnet(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 10>} {
  return %x : tensor<?x2xf32>
}
// CHECK-LABEL: func.func private @vnet_on_ncsn(
// CHECK-SAME: %[[X:.*]]: tensor<?x2xf32>, %{{.*}}: tensor<?xf32>)
// CHECK: %[[XN:.*]] = score.mul %[[X]], %{{.*}} : (tensor<?x2xf32>, tensor<?x1xf32>)
// CHECK: %[[ON_X:.*]] = score.mul %[[XN]], %{{.*}} : (tensor<?x2xf32>, tensor<?x1xf32>)
// The network returns its input, so v is x_n here too.
// CHECK: %[[ON_V:.*]] = score.mul %[[XN]], %{{.*}} : (tensor<?x2xf32>, tensor<?x1xf32>)
// CHECK: %[[EPS:.*]] = score.add %[[ON_X]], %[[ON_V]]
// CHECK: return %[[EPS]]
// CHECK: sampler.solve @vnet_on_ncsn{{.*}} prediction eps
func.func @ncsn(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @vnet(%noise, %seed, %first) schedule #sampler.ncsn<sigma_min = 0.02, sigma_max = 0.3, levels = 5> method #sampler.ode<> prediction v steps 5 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// The same process with another end time conditions alike: nothing changes.
func.func @vpnet(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.vp<>} {
  return %x : tensor<?x2xf32>
}
// CHECK-NOT: vpnet_on
// CHECK: sampler.solve @vpnet(%arg0, %arg1, %arg2) schedule #sampler.vp<t_min = 0.1>
func.func @same(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @vpnet(%noise, %seed, %first) schedule #sampler.vp<t_min = 0.1> method #sampler.ode<> prediction score steps 5 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// A score network on DDIM's steps: x_n = x_s / alpha_s and score_s = score_n / alpha_s.
func.func @snet(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.karras<>} {
  return %x : tensor<?x2xf32>
}
// CHECK-LABEL: func.func private @snet_on_ddpm_linear(
// CHECK-SAME: %[[X:.*]]: tensor<?x2xf32>, %[[C:.*]]: tensor<?xf32>)
// The step index is uniform in the table: no log, no shift from step 0.
// CHECK-NOT: score.act log
// CHECK: %[[U:.*]] = score.mul %[[C]], %{{.*}} : (tensor<?xf32>, tensor<1xf32>)
// CHECK-NEXT: sampler.interpolate %[[U]]
// CHECK: %[[SCALE:.*]] = score.reshape
// CHECK: %[[XN:.*]] = score.mul %[[X]], %[[SCALE]]
// CHECK: %[[OUT:.*]] = score.mul %[[XN]], %[[SCALE]]
// CHECK: return %[[OUT]]
// CHECK: sampler.solve @snet_on_ddpm_linear{{.*}} prediction score
func.func @ddim(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @snet(%noise, %seed, %first) schedule #sampler.ddpm_linear<timesteps = 10> method #sampler.ddim<> prediction score steps 5 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
