// A scalar loss on unet28's output (appended to models/unet28.mlir by
// unet28-gradient.test): the squared norm of its prediction, summed.
func.func @unet28_loss(%x: tensor<?x1x28x28xf32>, %t: tensor<?xf32>) -> tensor<1xf32> {
  %y = func.call @unet28(%x, %t) : (tensor<?x1x28x28xf32>, tensor<?xf32>) -> tensor<?x1x28x28xf32>
  %s = score.act square %y : tensor<?x1x28x28xf32>
  %r = score.reduce_sum %s axes [0, 1, 2, 3] : (tensor<?x1x28x28xf32>) -> tensor<1x1x1x1xf32>
  %l = score.reshape %r : tensor<1x1x1x1xf32> -> tensor<1xf32>
  return %l : tensor<1xf32>
}
