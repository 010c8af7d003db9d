// A small image network with average pooling and a channel slice, ops no
// bundled model's loop holds, for the CUDA backend's tests against the CPU's.
func.func @pool_slice_net(%x: tensor<?x1x8x8xf32>, %t: tensor<?xf32>) -> tensor<?x1x8x8xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %w0 = score.param "in.weight" : tensor<4x1x3x3xf32>
  %b0 = score.param "in.bias" : tensor<4xf32>
  %h0 = score.conv2d %x, %w0, %b0 {padding = array<i64: 1, 1>} : (tensor<?x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %h1 = score.act silu %h0 : tensor<?x4x8x8xf32>
  %p = score.avg_pool %h1 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  %u = score.upsample %p scale(2) : (tensor<?x4x4x4xf32>) -> tensor<?x4x8x8xf32>
  %s = score.slice %u axis(1) offset(1) size(2) : (tensor<?x4x8x8xf32>) -> tensor<?x2x8x8xf32>
  %w1 = score.param "out.weight" : tensor<1x2x3x3xf32>
  %b1 = score.param "out.bias" : tensor<1xf32>
  %y = score.conv2d %s, %w1, %b1 {padding = array<i64: 1, 1>} : (tensor<?x2x8x8xf32>, tensor<1x2x3x3xf32>, tensor<1xf32>) -> tensor<?x1x8x8xf32>
  return %y : tensor<?x1x8x8xf32>
}
