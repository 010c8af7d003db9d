// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve | FileCheck %s

func.func @score(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[-1.0]> : tensor<1xf32>
  %s = score.mul %x, %c : (tensor<?x2xf32>, tensor<1xf32>) -> tensor<?x2xf32>
  return %s : tensor<?x2xf32>
}
// The flow's probe e . v(x, t) with the network's body cloned in (no call),
// its input gradient from the autodiff, and the augmented velocity: per
// dimension i one call gives v_i and row i of the Jacobian, whose entry i
// (a dense with the unit column e_i) adds to the divergence. The integration
// runs from the data (t_min) to the prior (t = 1), whose std the entry records.
// CHECK-LABEL: func.func private @score_flow_probe(
// CHECK-SAME: %{{.*}}: tensor<?x2xf32>, %{{.*}}: tensor<?xf32>, %[[E:.*]]: tensor<2x1xf32>) -> tensor<?xf32>
// CHECK-NOT: call
// CHECK: score.dense %{{.*}}, %[[E]]
// CHECK-LABEL: func.func private @score_flow_probe_grad
// CHECK-LABEL: func.func @likelihood
// CHECK-SAME: sampler.likelihood_prior_std = 1.000000e+00
// CHECK-DAG: %[[E1:.*]] = arith.constant dense<{{\[}}[0.000000e+00], [1.000000e+00]]> : tensor<2x1xf32>
// CHECK-DAG: %[[E0:.*]] = arith.constant dense<{{\[}}[1.000000e+00], [0.000000e+00]]> : tensor<2x1xf32>
// CHECK: sampler.ode_integrate %arg0 {atol = 1.000000e-05 : f64, max_steps = 1000 : i64, rtol = 1.000000e-05 : f64, t_end = 1.000000e+00 : f64, t_start = 1.000000e-03 : f64}
// CHECK: ^bb0(%[[Y:.*]]: tensor<?x3xf32>, %[[T:.*]]: tensor<?xf32>):
// CHECK-NEXT: %[[X:.*]] = score.slice %[[Y]] axis(1) offset(0) size(2)
// CHECK-NEXT: %[[G0:.*]]:2 = func.call @score_flow_probe_grad(%[[X]], %[[T]], %[[E0]])
// CHECK-NEXT: %[[V0:.*]] = score.reshape %[[G0]]#0
// CHECK-NEXT: %[[D0:.*]] = score.dense %[[G0]]#1, %[[E0]]
// CHECK-NEXT: %[[G1:.*]]:2 = func.call @score_flow_probe_grad(%[[X]], %[[T]], %[[E1]])
// CHECK-NEXT: %[[V1:.*]] = score.reshape %[[G1]]#0
// CHECK-NEXT: %[[D1:.*]] = score.dense %[[G1]]#1, %[[E1]]
// CHECK-NEXT: %[[DIV:.*]] = score.add %[[D0]], %[[D1]]
// CHECK-NEXT: %[[R:.*]] = score.concat %[[V0]], %[[V1]], %[[DIV]] axis(1)
// CHECK-NEXT: sampler.yield %[[R]]
// CHECK-NOT: sampler.likelihood @
func.func @likelihood(%xl: tensor<?x3xf32>, %seed: i64, %first: index) -> tensor<?x3xf32> {
  %r = sampler.likelihood @score(%xl, %seed, %first) schedule #sampler.vp<> prediction score : tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @score(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// VE: the prior is N(0, sigma_max^2 I).
// CHECK-LABEL: func.func @likelihood
// CHECK-SAME: sampler.likelihood_prior_std = 5.000000e+01
func.func @likelihood(%xl: tensor<?x3xf32>, %seed: i64, %first: index) -> tensor<?x3xf32> {
  %r = sampler.likelihood @score(%xl, %seed, %first) schedule #sampler.ve<sigma_max = 50.0> prediction eps : tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
