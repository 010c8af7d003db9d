// An MLP with the ops no bundled model has in its sampler loop: layer
// normalisation over the features and an affine rescaling (score.scale), for
// the CUDA backend's tests against the CPU's.
func.func @mlp_layer_norm(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<timesteps = 100>, sampler.prediction = "eps"} {
  %temb = score.time_embedding sinusoidal %t dim(16) : (tensor<?xf32>) -> tensor<?x16xf32>
  %w0 = score.param "in.weight" : tensor<2x16xf32>
  %b0 = score.param "in.bias" : tensor<16xf32>
  %h0 = score.dense %x, %w0, %b0 : (tensor<?x2xf32>, tensor<2x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %h1 = score.add %h0, %temb : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %g = score.param "norm.gamma" : tensor<16xf32>
  %be = score.param "norm.beta" : tensor<16xf32>
  %h2 = score.layer_norm %h1, %g, %be : (tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %h3 = score.act silu %h2 : tensor<?x16xf32>
  %h4 = score.scale %h3 by 0.5 shift 0.25 : tensor<?x16xf32>
  %w1 = score.param "out.weight" : tensor<16x2xf32>
  %y = score.dense %h4, %w1 : (tensor<?x16xf32>, tensor<16x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
