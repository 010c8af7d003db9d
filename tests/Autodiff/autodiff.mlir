// RUN: tweedie-opt %s --split-input-file --tweedie-autodiff="function=loss wrt=params,arg0" | FileCheck %s
// RUN: tweedie-opt %s --split-input-file --verify-diagnostics \
// RUN:   --tweedie-autodiff="function=bad wrt=params" -o /dev/null

// @loss_grad: the forward ops, then each op's rule in reverse order. The
// seed is a broadcast 1; the mul of %a by itself gets two cotangents, summed;
// the dense rule gives dx = dz W^T, dW = outer_sum(x, dz), db = dz summed
// over the batch (a static bias broadcast over it).
// CHECK-LABEL: func.func @loss_grad(%arg0: tensor<?x2xf32>) -> (tensor<1xf32>, tensor<2x4xf32>, tensor<4xf32>, tensor<?x2xf32>)
// CHECK-SAME: score.gradient_args = array<i64: 0>, score.gradient_params = ["w", "b"]
// CHECK: %[[W:.*]] = score.param "w"
// CHECK: %[[Z:.*]] = score.dense %arg0, %[[W]], %{{.*}}
// CHECK: %[[A:.*]] = score.act silu %[[Z]]
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<1xf32>
// CHECK: score.broadcast %[[ONE]] like
// CHECK: %[[D1:.*]] = score.mul %{{.*}}, %[[A]]
// CHECK: %[[D2:.*]] = score.mul %{{.*}}, %[[A]]
// CHECK: %[[DA:.*]] = score.add %[[D1]], %[[D2]]
// CHECK: %[[DZ:.*]] = score.act_grad silu order(1) %[[Z]], %[[DA]]
// CHECK: %[[WT:.*]] = score.transpose %[[W]] [1, 0]
// CHECK: %[[DX:.*]] = score.dense %[[DZ]], %[[WT]]
// CHECK: %[[DW:.*]] = score.outer_sum %arg0, %[[DZ]] : (tensor<?x2xf32>, tensor<?x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[DB1:.*]] = score.reduce_sum %[[DZ]] axes [0] : (tensor<?x4xf32>) -> tensor<1x4xf32>
// CHECK: %[[DB:.*]] = score.reshape %[[DB1]] : tensor<1x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DW]], %[[DB]], %[[DX]]
func.func @loss(%x: tensor<?x2xf32>) -> tensor<1xf32> {
  %w = score.param "w" : tensor<2x4xf32>
  %b = score.param "b" : tensor<4xf32>
  %z = score.dense %x, %w, %b : (tensor<?x2xf32>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %a = score.act silu %z : tensor<?x4xf32>
  %s = score.mul %a, %a : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %r = score.reduce_sum %s axes [0, 1] : (tensor<?x4xf32>) -> tensor<1x1xf32>
  %l = score.reshape %r : tensor<1x1xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}
func.func @bad(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}

// -----

// A weight used twice (two param ops of one name): one gradient, summed.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<1xf32>, tensor<2x2xf32>, tensor<?x2xf32>)
// CHECK-SAME: score.gradient_params = ["w"]
// CHECK: %[[G1:.*]] = score.outer_sum
// CHECK: %[[G2:.*]] = score.outer_sum
// CHECK: %[[G:.*]] = score.add %[[G2]], %[[G1]]
// CHECK: return %{{.*}}, %[[G]], %{{.*}}
func.func @loss(%x: tensor<?x2xf32>) -> tensor<1xf32> {
  %w = score.param "w" : tensor<2x2xf32>
  %h = score.dense %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %w1 = score.param "w" : tensor<2x2xf32>
  %y = score.dense %h, %w1 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %r = score.reduce_sum %y axes [0, 1] : (tensor<?x2xf32>) -> tensor<1x1xf32>
  %l = score.reshape %r : tensor<1x1xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}
func.func @bad(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}

// -----

func.func @loss(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @bad(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{autodiff: inline calls first (--inline)}}
  %y = func.call @loss(%x) : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
