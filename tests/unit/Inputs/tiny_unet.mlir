// A U-Net in miniature for the training tests: every op kind unet28 trains
// through (conv2d strided and not, group_norm + silu, the time embedding
// added per channel, attention, nearest upsampling, a concatenated skip), on
// 8x8 images so the float64 interpreter checks its gradients quickly.
func.func @tiny_unet(%x: tensor<?x1x8x8xf32>, %t: tensor<?xf32>) -> tensor<?x1x8x8xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %temb = score.time_embedding sinusoidal %t dim(16) : (tensor<?xf32>) -> tensor<?x16xf32>
  %tw = score.param "time.weight" : tensor<16x8xf32>
  %tb = score.param "time.bias" : tensor<8xf32>
  %e0 = score.dense %temb, %tw, %tb : (tensor<?x16xf32>, tensor<16x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %e = score.act silu %e0 : tensor<?x8xf32>
  %w0 = score.param "in.weight" : tensor<8x1x3x3xf32>
  %b0 = score.param "in.bias" : tensor<8xf32>
  %h0 = score.conv2d %x, %w0, %b0 {padding = array<i64: 1, 1>} : (tensor<?x1x8x8xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  %er = score.reshape %e : tensor<?x8xf32> -> tensor<?x8x1x1xf32>
  %h1 = score.add %h0, %er : (tensor<?x8x8x8xf32>, tensor<?x8x1x1xf32>) -> tensor<?x8x8x8xf32>
  %g0 = score.param "norm.gamma" : tensor<8xf32>
  %be0 = score.param "norm.beta" : tensor<8xf32>
  %h2 = score.group_norm %h1, %g0, %be0 groups(4) : (tensor<?x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  %h3 = score.act silu %h2 : tensor<?x8x8x8xf32>
  %w1 = score.param "down.weight" : tensor<8x8x3x3xf32>
  %b1 = score.param "down.bias" : tensor<8xf32>
  %h4 = score.conv2d %h3, %w1, %b1 {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<?x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
  %s0 = score.reshape %h4 : tensor<?x8x4x4xf32> -> tensor<?x8x16xf32>
  %s1 = score.transpose %s0 [0, 2, 1] : (tensor<?x8x16xf32>) -> tensor<?x16x8xf32>
  %qw = score.param "attn.q.weight" : tensor<8x8xf32>
  %kw = score.param "attn.k.weight" : tensor<8x8xf32>
  %vw = score.param "attn.v.weight" : tensor<8x8xf32>
  %q = score.dense %s1, %qw : (tensor<?x16x8xf32>, tensor<8x8xf32>) -> tensor<?x16x8xf32>
  %k = score.dense %s1, %kw : (tensor<?x16x8xf32>, tensor<8x8xf32>) -> tensor<?x16x8xf32>
  %v = score.dense %s1, %vw : (tensor<?x16x8xf32>, tensor<8x8xf32>) -> tensor<?x16x8xf32>
  %a = score.attention %q, %k, %v heads(2) : (tensor<?x16x8xf32>, tensor<?x16x8xf32>, tensor<?x16x8xf32>) -> tensor<?x16x8xf32>
  %a1 = score.transpose %a [0, 2, 1] : (tensor<?x16x8xf32>) -> tensor<?x8x16xf32>
  %a2 = score.reshape %a1 : tensor<?x8x16xf32> -> tensor<?x8x4x4xf32>
  %h5 = score.add %h4, %a2 : (tensor<?x8x4x4xf32>, tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %h6 = score.upsample %h5 scale(2) : (tensor<?x8x4x4xf32>) -> tensor<?x8x8x8xf32>
  %h7 = score.concat %h6, %h1 axis(1) : (tensor<?x8x8x8xf32>, tensor<?x8x8x8xf32>) -> tensor<?x16x8x8xf32>
  %w2 = score.param "out.weight" : tensor<1x16x3x3xf32>
  %b2 = score.param "out.bias" : tensor<1xf32>
  %y = score.conv2d %h7, %w2, %b2 {padding = array<i64: 1, 1>} : (tensor<?x16x8x8xf32>, tensor<1x16x3x3xf32>, tensor<1xf32>) -> tensor<?x1x8x8xf32>
  return %y : tensor<?x1x8x8xf32>
}
