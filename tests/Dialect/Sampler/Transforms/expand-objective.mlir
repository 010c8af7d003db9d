// RUN: tweedie-opt %s --split-input-file --tweedie-expand-objective | FileCheck %s
// RUN: tweedie-opt %s --split-input-file --tweedie-expand-objective --inline \
// RUN:   --tweedie-autodiff="function=loss" --canonicalize --cse | FileCheck %s --check-prefix=GRAD

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  %w = score.param "w" : tensor<2x2xf32>
  %h = score.dense %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %h : tensor<?x2xf32>
}

// DDPM L_simple: one uniform draw per example picks a training step; the
// step index, sqrt(abar) and sqrt(1 - abar) are read from float64 tables.
// CHECK-LABEL: func.func @loss
// CHECK: %[[U:.*]] = sampler.rand_uniform %arg0, seed %arg1, sample %{{.*}}, step %arg2 : tensor<?x2xf32> -> tensor<?xf32>
// CHECK: %[[T:.*]] = sampler.interpolate %[[U]] table [0.0, 1.0, 2.0, 3.0] discrete
// CHECK: %[[A:.*]] = sampler.interpolate %[[U]] table [0.99994999874993{{[0-9]*}}, {{.*}}] discrete
// CHECK: %[[S:.*]] = sampler.interpolate %[[U]] table [0.00999999999999{{[0-9]*}}, {{.*}}] discrete
// CHECK: %[[Z:.*]] = sampler.randn %arg0, seed %arg1, sample %{{.*}}, step %arg2 draw 1
// CHECK: %[[XT:.*]] = score.add
// CHECK: %[[EPS:.*]] = call @net(%[[XT]], %[[T]])
// CHECK: score.act square
// CHECK: score.reduce_sum %{{.*}} axes [0, 1] : (tensor<?x2xf32>) -> tensor<1x1xf32>
// CHECK: score.act reciprocal
// CHECK-NOT: sampler.dsm_loss
// The gradient touches only the weight's path: no rule is asked of the draws.
// GRAD-LABEL: func.func @loss_grad
// GRAD-SAME: -> (tensor<1xf32>, tensor<2x2xf32>)
// GRAD: score.act_grad square order(1)
// GRAD: score.outer_sum
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  %l = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.ddpm_linear<timesteps = 4>
      prediction eps : tensor<?x2xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}

// Continuous VP: t = t_min + u (1 - t_min), log alpha written as score ops.
// CHECK-LABEL: func.func @loss
// CHECK: %[[U:.*]] = sampler.rand_uniform
// CHECK: %[[C:.*]] = arith.constant dense<0.999989986> : tensor<1xf32>
// CHECK: %[[SU:.*]] = score.mul %[[U]], %[[C]]
// CHECK: %[[T:.*]] = score.add %[[SU]]
// CHECK: score.act exp
// CHECK: score.act sqrt
// CHECK: call @net(%{{.*}}, %[[T]])
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  %l = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.vp<>
      prediction score : tensor<?x2xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}

// NCSN: a level per example, sigma is the conditioning, x_t = x_0 + sigma z.
// CHECK-LABEL: func.func @loss
// CHECK: %[[S:.*]] = sampler.interpolate %{{.*}} table [1.0, 0.1, 0.01] discrete
// CHECK-NOT: sampler.interpolate
// CHECK: %[[XT:.*]] = score.add %arg0,
// CHECK: call @net(%[[XT]], %[[S]])
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  %l = sampler.dsm_loss @net(%x0, %seed, %step)
      schedule #sampler.ncsn<sigma_min = 0.01, sigma_max = 1.0, levels = 3>
      prediction x0 : tensor<?x2xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}

// EDM's log-normal sigma: its own normal draw (2), exp(p_mean + p_std n).
// CHECK-LABEL: func.func @loss
// CHECK: %[[U:.*]] = sampler.rand_uniform
// CHECK: %[[N:.*]] = sampler.randn %[[U]], seed %arg1, sample %{{.*}}, step %arg2 draw 2 : tensor<?xf32>
// CHECK: %[[C:.*]] = arith.constant dense<1.200000e+00>
// CHECK: score.mul %[[N]], %[[C]]
// CHECK: score.act exp
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  %l = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.karras<>
      prediction x0 levels lognormal : tensor<?x2xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}

// -----

func.func @energy(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32> {
  %w = score.param "w" : tensor<2x1xf32>
  %h = score.dense %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %a = score.act softplus %h : tensor<?x1xf32>
  %e = score.reshape %a : tensor<?x1xf32> -> tensor<?xf32>
  return %e : tensor<?xf32>
}

// An energy is trained through its score: the expansion adds @energy_grad
// (grad_x E) and the outer gradient differentiates that once more.
// CHECK-LABEL: func.func @energy_grad
// CHECK-SAME: score.gradient_args = array<i64: 0>, score.gradient_params = []
// CHECK-LABEL: func.func @loss
// CHECK: %[[G:.*]]:2 = call @energy_grad
// CHECK: score.mul %[[G]]#1
// GRAD: func.func @loss_grad({{.*}}) -> (tensor<1xf32>, tensor<2x1xf32>)
// GRAD: score.act_grad softplus order(2)
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  %l = sampler.dsm_loss @energy(%x0, %seed, %step)
      schedule #sampler.ncsn<sigma_min = 0.01, sigma_max = 1.0, levels = 3>
      prediction energy : tensor<?x2xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  %w = score.param "w" : tensor<2x2xf32>
  %h = score.dense %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %s = score.act tanh %h : tensor<?x2xf32>
  return %s : tensor<?x2xf32>
}

// Sliced score matching, two Rademacher probes (draws 3 and 4): the network's
// body is inlined into @net_sliced_probe = v . eps(x), whose input gradient
// (the autodiff's @net_sliced_probe_grad) gives (grad eps)^T v; the loss is
// 1/2 |eps|^2 - sigma mean_k v_k . (grad eps)^T v_k per example.
// CHECK-LABEL: func.func private @net_sliced_probe(
// CHECK-SAME: %{{.*}}: tensor<?x2xf32>, %{{.*}}: tensor<?xf32>, %{{.*}}: tensor<?x1xf32>, %[[V:.*]]: tensor<?x2xf32>) -> tensor<?xf32>
// CHECK-NOT: call
// CHECK: score.act tanh
// CHECK: score.mul %[[V]],
// CHECK: score.reduce_sum %{{.*}} axes [1]
// CHECK-LABEL: func.func private @net_sliced_probe_grad
// CHECK: score.act_grad tanh order(1)
// CHECK-LABEL: func.func @loss
// CHECK: %[[V0:.*]] = sampler.randn %{{.*}}, seed %arg1, sample %{{.*}}, step %arg2 draw 3 rademacher
// CHECK: %[[G0:.*]]:2 = call @net_sliced_probe_grad(%{{.*}}, %{{.*}}, %{{.*}}, %[[V0]])
// CHECK: score.mul %[[V0]], %[[G0]]#1
// CHECK: %[[V1:.*]] = sampler.randn %{{.*}}, seed %arg1, sample %{{.*}}, step %arg2 draw 4 rademacher
// CHECK: call @net_sliced_probe_grad(%{{.*}}, %{{.*}}, %{{.*}}, %[[V1]])
// CHECK-NOT: sampler.dsm_loss
// Training differentiates the Jacobian term once more: second-order tanh.
// GRAD: func.func @loss_grad
// GRAD: score.act_grad tanh order(2)
func.func @loss(%x0: tensor<?x2xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  %l = sampler.dsm_loss @net(%x0, %seed, %step) schedule #sampler.ncsn<>
      prediction eps sliced 2 rademacher : tensor<?x2xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}

// -----

// A classifier's cross-entropy: logsumexp around each row's mean logit,
// minus the labelled logit, averaged over a batch counted at run time.
func.func @classifier(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = score.param "w" : tensor<4x3xf32>
  %h = score.dense %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %h : tensor<?x3xf32>
}
func.func @loss(%x: tensor<?x4xf32>, %seed: i64, %step: index, %y: tensor<?x3xf32>) -> tensor<1xf32> {
  %0 = sampler.cross_entropy_loss @classifier(%x, %y) : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}
// CHECK-LABEL: func.func @loss
// CHECK: %[[L:.*]] = call @classifier(%{{.*}})
// CHECK: score.reduce_sum %[[L]] axes [1]
// CHECK: score.act exp
// CHECK: score.act log
// CHECK: score.mul %{{.*}}, %[[L]]
// CHECK: score.act reciprocal
// CHECK-NOT: sampler.cross_entropy_loss
// GRAD: func.func @loss_grad({{.*}}tensor<?x3xf32>) -> (tensor<1xf32>, tensor<4x3xf32>)
