// unet28's DSM objective (appended to models/unet28.mlir by
// unet28-gradient.test): DDPM's L_simple on its own schedule.
func.func @unet28_loss(%x0: tensor<?x1x28x28xf32>, %seed: i64, %step: index) -> tensor<1xf32> {
  %l = sampler.dsm_loss @unet28(%x0, %seed, %step) schedule #sampler.ddpm_linear<>
      prediction eps : tensor<?x1x28x28xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}
