// Fused epilogues in training: each network twice, once with its activations
// and residual adds fused into the dense / conv2d op (act(z) + residual, as
// score.dense documents and the sampler runs it) and once written out as
// separate ops. Same parameter names, so the same synthetic weights: the two
// must train the same function.
func.func @fused_mlp(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %temb = score.time_embedding sinusoidal %t dim(16) : (tensor<?xf32>) -> tensor<?x16xf32>
  %tw = score.param "time.weight" : tensor<16x16xf32>
  %e = score.dense %temb, %tw : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %w0 = score.param "in.weight" : tensor<2x16xf32>
  %b0 = score.param "in.bias" : tensor<16xf32>
  %h0 = score.dense %x, %w0, %b0 act tanh residual %e : (tensor<?x2xf32>, tensor<2x16xf32>, tensor<16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %w1 = score.param "mid.weight" : tensor<16x16xf32>
  %b1 = score.param "mid.bias" : tensor<16xf32>
  %h1 = score.dense %h0, %w1, %b1 act silu residual %h0 : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %w2 = score.param "out.weight" : tensor<16x2xf32>
  %b2 = score.param "out.bias" : tensor<2xf32>
  %y = score.dense %h1, %w2, %b2 : (tensor<?x16xf32>, tensor<16x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

func.func @unfused_mlp(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %temb = score.time_embedding sinusoidal %t dim(16) : (tensor<?xf32>) -> tensor<?x16xf32>
  %tw = score.param "time.weight" : tensor<16x16xf32>
  %e = score.dense %temb, %tw : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %w0 = score.param "in.weight" : tensor<2x16xf32>
  %b0 = score.param "in.bias" : tensor<16xf32>
  %z0 = score.dense %x, %w0, %b0 : (tensor<?x2xf32>, tensor<2x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %a0 = score.act tanh %z0 : tensor<?x16xf32>
  %h0 = score.add %a0, %e : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %w1 = score.param "mid.weight" : tensor<16x16xf32>
  %b1 = score.param "mid.bias" : tensor<16xf32>
  %z1 = score.dense %h0, %w1, %b1 : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %a1 = score.act silu %z1 : tensor<?x16xf32>
  %h1 = score.add %a1, %h0 : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %w2 = score.param "out.weight" : tensor<16x2xf32>
  %b2 = score.param "out.bias" : tensor<2xf32>
  %y = score.dense %h1, %w2, %b2 : (tensor<?x16xf32>, tensor<16x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

func.func @fused_conv(%x: tensor<?x1x6x6xf32>, %t: tensor<?xf32>) -> tensor<?x1x6x6xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %w0 = score.param "in.weight" : tensor<4x1x3x3xf32>
  %b0 = score.param "in.bias" : tensor<4xf32>
  %h0 = score.conv2d %x, %w0, %b0 act silu {padding = array<i64: 1, 1>} : (tensor<?x1x6x6xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  %w1 = score.param "mid.weight" : tensor<4x4x3x3xf32>
  %b1 = score.param "mid.bias" : tensor<4xf32>
  %h1 = score.conv2d %h0, %w1, %b1 act tanh residual %h0 {padding = array<i64: 1, 1>} : (tensor<?x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  %w2 = score.param "out.weight" : tensor<1x4x3x3xf32>
  %b2 = score.param "out.bias" : tensor<1xf32>
  %y = score.conv2d %h1, %w2, %b2 residual %x {padding = array<i64: 1, 1>} : (tensor<?x4x6x6xf32>, tensor<1x4x3x3xf32>, tensor<1xf32>, tensor<?x1x6x6xf32>) -> tensor<?x1x6x6xf32>
  return %y : tensor<?x1x6x6xf32>
}

func.func @unfused_conv(%x: tensor<?x1x6x6xf32>, %t: tensor<?xf32>) -> tensor<?x1x6x6xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %w0 = score.param "in.weight" : tensor<4x1x3x3xf32>
  %b0 = score.param "in.bias" : tensor<4xf32>
  %z0 = score.conv2d %x, %w0, %b0 {padding = array<i64: 1, 1>} : (tensor<?x1x6x6xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  %h0 = score.act silu %z0 : tensor<?x4x6x6xf32>
  %w1 = score.param "mid.weight" : tensor<4x4x3x3xf32>
  %b1 = score.param "mid.bias" : tensor<4xf32>
  %z1 = score.conv2d %h0, %w1, %b1 {padding = array<i64: 1, 1>} : (tensor<?x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  %a1 = score.act tanh %z1 : tensor<?x4x6x6xf32>
  %h1 = score.add %a1, %h0 : (tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  %w2 = score.param "out.weight" : tensor<1x4x3x3xf32>
  %b2 = score.param "out.bias" : tensor<1xf32>
  %z2 = score.conv2d %h1, %w2, %b2 {padding = array<i64: 1, 1>} : (tensor<?x4x6x6xf32>, tensor<1x4x3x3xf32>, tensor<1xf32>) -> tensor<?x1x6x6xf32>
  %y = score.add %z2, %x : (tensor<?x1x6x6xf32>, tensor<?x1x6x6xf32>) -> tensor<?x1x6x6xf32>
  return %y : tensor<?x1x6x6xf32>
}

// The newest op and activation: a sigmoid gate and score.scale, against the
// float64 interpreter (forward and gradient) like every other network here.
// The time embedding enters as an add before the activation, so a sampler
// can hoist it into a per-step bias (plan.test compiles it).
func.func @gated_mlp(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %temb = score.time_embedding sinusoidal %t dim(16) : (tensor<?xf32>) -> tensor<?x16xf32>
  %tw = score.param "time.weight" : tensor<16x16xf32>
  %e = score.dense %temb, %tw : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %w0 = score.param "in.weight" : tensor<2x16xf32>
  %b0 = score.param "in.bias" : tensor<16xf32>
  %z0 = score.dense %x, %w0, %b0 : (tensor<?x2xf32>, tensor<2x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %s0 = score.add %z0, %e : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %h0 = score.act silu %s0 : tensor<?x16xf32>
  %wg = score.param "gate.weight" : tensor<16x16xf32>
  %bg = score.param "gate.bias" : tensor<16xf32>
  %g = score.dense %h0, %wg, %bg act sigmoid : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %gated = score.mul %h0, %g : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %s = score.scale %gated by 0.5 shift 0.25 : tensor<?x16xf32>
  %w2 = score.param "out.weight" : tensor<16x2xf32>
  %b2 = score.param "out.bias" : tensor<2xf32>
  %y = score.dense %s, %w2, %b2 : (tensor<?x16xf32>, tensor<16x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
