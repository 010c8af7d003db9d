// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve | FileCheck %s

func.func @score(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  %c = arith.constant dense<[-1.0]> : tensor<1xf32>
  %s = score.mul %x, %c : (tensor<?x2xf32>, tensor<1xf32>) -> tensor<?x2xf32>
  return %s : tensor<?x2xf32>
}
// The probe v . v(x, t) with the network's body cloned in (no call) and its
// input gradient from the autodiff; the augmented velocity [v, div v] with the
// exact divergence: the unit vectors as probes, each giving
// e_i . (grad (e_i . v)) = dv_i/dx_i. The integration runs from the data
// (t_min) to the prior (t = 1), whose std the entry records.
// CHECK-LABEL: func.func private @score_flow_probe(
// CHECK-SAME: %{{.*}}: tensor<?x2xf32>, %{{.*}}: tensor<?xf32>, %[[V:.*]]: tensor<?x2xf32>) -> tensor<?xf32>
// CHECK-NOT: call
// CHECK: score.mul %[[V]],
// CHECK: score.reduce_sum %{{.*}} axes [1]
// CHECK-LABEL: func.func private @score_flow_probe_grad
// CHECK-LABEL: func.func @likelihood
// CHECK-SAME: sampler.likelihood_prior_std = 1.000000e+00
// CHECK-DAG: %[[E1:.*]] = arith.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[E0:.*]] = arith.constant dense<[1.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: sampler.ode_integrate %arg0 {atol = 1.000000e-05 : f64, max_steps = 1000 : i64, rtol = 1.000000e-05 : f64, t_end = 1.000000e+00 : f64, t_start = 1.000000e-03 : f64}
// CHECK: ^bb0(%[[Y:.*]]: tensor<?x3xf32>, %[[T:.*]]: tensor<?xf32>):
// CHECK-NEXT: %[[X:.*]] = score.slice %[[Y]] axis(1) offset(0) size(2)
// CHECK-NEXT: %[[P:.*]] = func.call @score(%[[X]], %[[T]])
// CHECK: %[[VEL:.*]] = score.add %{{.*}}, %{{.*}} : (tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK-NEXT: %[[P0:.*]] = score.broadcast %[[E0]] like %[[X]]
// CHECK-NEXT: %[[P1:.*]] = score.broadcast %[[E1]] like %[[X]]
// CHECK-NEXT: %[[G0:.*]]:2 = func.call @score_flow_probe_grad(%[[X]], %[[T]], %[[P0]])
// CHECK-NEXT: %[[M0:.*]] = score.mul %[[P0]], %[[G0]]#1
// CHECK-NEXT: %[[D0:.*]] = score.reduce_sum %[[M0]] axes [1]
// CHECK-NEXT: %[[G1:.*]]:2 = func.call @score_flow_probe_grad(%[[X]], %[[T]], %[[P1]])
// CHECK-NEXT: %[[M1:.*]] = score.mul %[[P1]], %[[G1]]#1
// CHECK-NEXT: %[[D1:.*]] = score.reduce_sum %[[M1]] axes [1]
// CHECK-NEXT: %[[DIV:.*]] = score.add %[[D0]], %[[D1]]
// CHECK-NEXT: %[[R:.*]] = score.concat %[[VEL]], %[[DIV]] axis(1)
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
// Hutchinson with two Gaussian probes per point: draws 0 and 1 of the point's
// stream at step 0, the same at every evaluation along its trajectory, and
// the mean of v_k . (grad (v_k . v)). VE: the prior is N(0, sigma_max^2 I).
// CHECK-LABEL: func.func @likelihood
// CHECK-SAME: (%{{.*}}: tensor<?x3xf32>, %[[SEED:.*]]: i64, %[[FIRST:.*]]: index)
// CHECK-SAME: sampler.likelihood_prior_std = 5.000000e+01
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: t_start = 1.000000e-05
// CHECK: ^bb0(%[[Y:.*]]: tensor<?x3xf32>, %[[T:.*]]: tensor<?xf32>):
// CHECK: %[[V0:.*]] = sampler.randn %{{.*}}, seed %[[SEED]], sample %[[FIRST]], step %[[ZERO]] : tensor<?x2xf32>
// CHECK-NEXT: %[[V1:.*]] = sampler.randn %{{.*}}, seed %[[SEED]], sample %[[FIRST]], step %[[ZERO]] draw 1 : tensor<?x2xf32>
// CHECK-NEXT: func.call @score_flow_probe_grad(%{{.*}}, %[[T]], %[[V0]])
// CHECK: func.call @score_flow_probe_grad(%{{.*}}, %[[T]], %[[V1]])
// CHECK: %[[SUM:.*]] = score.add %{{.*}}, %{{.*}} : (tensor<?x1xf32>, tensor<?x1xf32>)
// CHECK-NEXT: %[[MEAN:.*]] = score.mul %[[SUM]], %[[HALF:.*]] : (tensor<?x1xf32>, tensor<1xf32>)
// CHECK-NEXT: score.concat %{{.*}}, %[[MEAN]] axis(1)
func.func @likelihood(%xl: tensor<?x3xf32>, %seed: i64, %first: index) -> tensor<?x3xf32> {
  %r = sampler.likelihood @score(%xl, %seed, %first) schedule #sampler.ve<sigma_max = 50.0> prediction eps hutchinson 2 gaussian : tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
