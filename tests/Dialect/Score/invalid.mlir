// RUN: tweedie-opt %s --split-input-file --verify-diagnostics

func.func @param_dynamic() -> tensor<?x3xf32> {
  // expected-error @+1 {{weight 'w' must have a static shape, got [?, 3]}}
  %0 = score.param "w" : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @param_unnamed() -> tensor<3xf32> {
  // expected-error @+1 {{weight name must not be empty}}
  %0 = score.param "" : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @dense_k(%x: tensor<?x3xf32>, %w: tensor<4x5xf32>) -> tensor<?x5xf32> {
  // expected-error @+2 {{operand 'weight' shape [4, 5] must be [K, N] with K equal to the last dim of 'input' shape [?, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.dense %x, %w : (tensor<?x3xf32>, tensor<4x5xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @dense_bias(%x: tensor<?x3xf32>, %w: tensor<3x5xf32>, %b: tensor<4xf32>) -> tensor<?x5xf32> {
  // expected-error @+2 {{operand 'bias' shape [4] must be [5] to match dim 1 of 'weight' shape [3, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.dense %x, %w, %b : (tensor<?x3xf32>, tensor<3x5xf32>, tensor<4xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @dense_weight_rank(%x: tensor<?x3xf32>, %w: tensor<3xf32>) -> tensor<?x3xf32> {
  // expected-error @+2 {{operand 'weight' must have rank 2, got shape [3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.dense %x, %w : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @dense_result(%x: tensor<?x3xf32>, %w: tensor<3x5xf32>) -> tensor<?x6xf32> {
  // expected-error @+2 {{'score.dense' op inferred type(s) 'tensor<?x5xf32>' are incompatible with return type(s) of operation 'tensor<?x6xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.dense %x, %w : (tensor<?x3xf32>, tensor<3x5xf32>) -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

func.func @mixed_precision(%x: tensor<?x3xf16>, %w: tensor<3x5xf32>) -> tensor<?x5xf16> {
  // expected-error @+2 {{operand 'weight' has element type f32 but 'input' has f16}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.dense %x, %w : (tensor<?x3xf16>, tensor<3x5xf32>) -> tensor<?x5xf16>
  return %0 : tensor<?x5xf16>
}

// -----

func.func @integer_tensor(%x: tensor<?x3xi32>, %w: tensor<3x5xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = score.dense %x, %w : (tensor<?x3xi32>, tensor<3x5xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @conv_rank(%x: tensor<?x3x28xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x28x28xf32> {
  // expected-error @+2 {{operand 'input' must have rank 4, got shape [?, 3, 28]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w : (tensor<?x3x28xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x28x28xf32>
  return %0 : tensor<?x8x28x28xf32>
}

// -----

func.func @conv_channels(%x: tensor<?x4x28x28xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x26x26xf32> {
  // expected-error @+2 {{operand 'weight' shape [8, 3, 3, 3] must have dim 1 = input channels / groups = 4 for operand 'input' shape [?, 4, 28, 28]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w : (tensor<?x4x28x28xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x26x26xf32>
  return %0 : tensor<?x8x26x26xf32>
}

// -----

func.func @conv_groups(%x: tensor<?x6x28x28xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<?x8x26x26xf32> {
  // expected-error @+2 {{input channels 6 (operand 'input' shape [?, 6, 28, 28]) are not divisible by groups = 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w {groups = 4 : i64} : (tensor<?x6x28x28xf32>, tensor<8x2x3x3xf32>) -> tensor<?x8x26x26xf32>
  return %0 : tensor<?x8x26x26xf32>
}

// -----

func.func @conv_out_groups(%x: tensor<?x4x28x28xf32>, %w: tensor<6x1x3x3xf32>) -> tensor<?x6x26x26xf32> {
  // expected-error @+2 {{output channels 6 (operand 'weight' shape [6, 1, 3, 3]) are not divisible by groups = 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w {groups = 4 : i64} : (tensor<?x4x28x28xf32>, tensor<6x1x3x3xf32>) -> tensor<?x6x26x26xf32>
  return %0 : tensor<?x6x26x26xf32>
}

// -----

func.func @conv_stride(%x: tensor<?x3x28x28xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x26x26xf32> {
  // expected-error @+2 {{'stride' must be two positive integers [height, width], got [0, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w {stride = array<i64: 0, 1>} : (tensor<?x3x28x28xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x26x26xf32>
  return %0 : tensor<?x8x26x26xf32>
}

// -----

func.func @conv_padding(%x: tensor<?x3x28x28xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x26x26xf32> {
  // expected-error @+2 {{'padding' must be two non-negative integers [height, width], got [1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w {padding = array<i64: 1>} : (tensor<?x3x28x28xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x26x26xf32>
  return %0 : tensor<?x8x26x26xf32>
}

// -----

func.func @conv_kernel(%x: tensor<?x3x2x2xf32>, %w: tensor<8x3x5x5xf32>) -> tensor<?x8x1x1xf32> {
  // expected-error @+2 {{kernel height 5 (operand 'weight' shape [8, 3, 5, 5]) exceeds the padded input 2 (operand 'input' shape [?, 3, 2, 2])}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w : (tensor<?x3x2x2xf32>, tensor<8x3x5x5xf32>) -> tensor<?x8x1x1xf32>
  return %0 : tensor<?x8x1x1xf32>
}

// -----

func.func @conv_bias(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<?x8x6x6xf32> {
  // expected-error @+2 {{operand 'bias' shape [3] must be [8] to match dim 0 of 'weight' shape [8, 3, 3, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w, %b : (tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<3xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

func.func @conv_groups_zero(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x6x6xf32> {
  // expected-error @+2 {{'groups' must be positive, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.conv2d %x, %w {groups = 0 : i64} : (tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

func.func @group_norm_groups(%x: tensor<?x30x7x7xf32>, %g: tensor<30xf32>) -> tensor<?x30x7x7xf32> {
  // expected-error @+2 {{channels 30 of operand 'input' shape [?, 30, 7, 7] are not divisible by groups = 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.group_norm %x, %g, %g groups(8) : (tensor<?x30x7x7xf32>, tensor<30xf32>, tensor<30xf32>) -> tensor<?x30x7x7xf32>
  return %0 : tensor<?x30x7x7xf32>
}

// -----

func.func @group_norm_gamma(%x: tensor<?x32x7x7xf32>, %g: tensor<16xf32>, %b: tensor<32xf32>) -> tensor<?x32x7x7xf32> {
  // expected-error @+2 {{operand 'gamma' shape [16] must be [32] to match the channel dim (1) of 'input' shape [?, 32, 7, 7]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.group_norm %x, %g, %b groups(8) : (tensor<?x32x7x7xf32>, tensor<16xf32>, tensor<32xf32>) -> tensor<?x32x7x7xf32>
  return %0 : tensor<?x32x7x7xf32>
}

// -----

func.func @group_norm_eps(%x: tensor<?x32x7x7xf32>, %g: tensor<32xf32>) -> tensor<?x32x7x7xf32> {
  // expected-error @+1 {{epsilon must be positive, got 0}}
  %0 = score.group_norm %x, %g, %g groups(8) {epsilon = 0.0 : f64} : (tensor<?x32x7x7xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32x7x7xf32>
  return %0 : tensor<?x32x7x7xf32>
}

// -----

func.func @layer_norm_beta(%x: tensor<?x49x16xf32>, %g: tensor<16xf32>, %b: tensor<49xf32>) -> tensor<?x49x16xf32> {
  // expected-error @+2 {{operand 'beta' shape [49] must be [16] to match the last dim of 'input' shape [?, 49, 16]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.layer_norm %x, %g, %b : (tensor<?x49x16xf32>, tensor<16xf32>, tensor<49xf32>) -> tensor<?x49x16xf32>
  return %0 : tensor<?x49x16xf32>
}

// -----

func.func @broadcast(%a: tensor<?x64x14x14xf32>, %b: tensor<?x32x1x1xf32>) -> tensor<?x64x14x14xf32> {
  // expected-error @+2 {{operands 'lhs' shape [?, 64, 14, 14] and 'rhs' shape [?, 32, 1, 1] are not broadcast-compatible at result axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.add %a, %b : (tensor<?x64x14x14xf32>, tensor<?x32x1x1xf32>) -> tensor<?x64x14x14xf32>
  return %0 : tensor<?x64x14x14xf32>
}

// -----

func.func @act_types(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "score.act"(%x) <{kind = 1 : i32}> : (tensor<?x8xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @act_kind(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [silu, gelu}}
  %0 = score.act swish %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<?x32x7x7xf32>, %b: tensor<?x16x14x14xf32>) -> tensor<?x48x7x7xf32> {
  // expected-error @+2 {{input #1 shape [?, 16, 14, 14] does not match input #0 shape [?, 32, 7, 7] outside axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.concat %a, %b axis(1) : (tensor<?x32x7x7xf32>, tensor<?x16x14x14xf32>) -> tensor<?x48x7x7xf32>
  return %0 : tensor<?x48x7x7xf32>
}

// -----

func.func @concat_axis(%a: tensor<?x32xf32>) -> tensor<?x32xf32> {
  // expected-error @+2 {{axis 2 is out of range for input #0 shape [?, 32]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.concat %a axis(2) : (tensor<?x32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @upsample_rank(%x: tensor<?x32xf32>) -> tensor<?x64xf32> {
  // expected-error @+2 {{operand 'input' must have rank 4, got shape [?, 32]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.upsample %x scale(2) : (tensor<?x32xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @pool_window(%x: tensor<?x3x2x2xf32>) -> tensor<?x3x1x1xf32> {
  // expected-error @+2 {{pooling window [3, 3] is larger than operand 'input' shape [?, 3, 2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.avg_pool %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>} : (tensor<?x3x2x2xf32>) -> tensor<?x3x1x1xf32>
  return %0 : tensor<?x3x1x1xf32>
}

// -----

func.func @pool_kernel(%x: tensor<?x3x8x8xf32>) -> tensor<?x3x8x8xf32> {
  // expected-error @+2 {{'kernel' must be two positive integers [height, width], got [2, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.avg_pool %x {kernel = array<i64: 2, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>) -> tensor<?x3x8x8xf32>
  return %0 : tensor<?x3x8x8xf32>
}

// -----

func.func @reshape_count(%x: tensor<?x32x7x7xf32>) -> tensor<?x32x48xf32> {
  // expected-error @+1 {{input shape [?, 32, 7, 7] (1568 static elements) cannot be reshaped to result shape [?, 32, 48] (1536)}}
  %0 = score.reshape %x : tensor<?x32x7x7xf32> -> tensor<?x32x48xf32>
  return %0 : tensor<?x32x48xf32>
}

// -----

func.func @reshape_dynamic(%x: tensor<?x32xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{can only reshape with one dynamic (batch) dim on both sides, got input shape [?, 32] and result shape [4, 8]}}
  %0 = score.reshape %x : tensor<?x32xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @reshape_type(%x: tensor<4x8xf32>) -> tensor<32xf16> {
  // expected-error @+1 {{result element type 'f16' differs from input element type 'f32'}}
  %0 = score.reshape %x : tensor<4x8xf32> -> tensor<32xf16>
  return %0 : tensor<32xf16>
}

// -----

func.func @transpose_perm(%x: tensor<?x48x49xf32>) -> tensor<?x49x48xf32> {
  // expected-error @+2 {{permutation [0, 2, 2] is not a permutation of the axes of operand 'input' shape [?, 48, 49]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.transpose %x [0, 2, 2] : (tensor<?x48x49xf32>) -> tensor<?x49x48xf32>
  return %0 : tensor<?x49x48xf32>
}

// -----

func.func @attention_features(%q: tensor<?x49x64xf32>, %k: tensor<?x10x32xf32>, %v: tensor<?x10x32xf32>) -> tensor<?x49x32xf32> {
  // expected-error @+2 {{feature dims (2) of operand 'query' shape [?, 49, 64] and operand 'key' shape [?, 10, 32] differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.attention %q, %k, %v heads(4) : (tensor<?x49x64xf32>, tensor<?x10x32xf32>, tensor<?x10x32xf32>) -> tensor<?x49x32xf32>
  return %0 : tensor<?x49x32xf32>
}

// -----

func.func @attention_sequence(%q: tensor<?x49x64xf32>, %k: tensor<?x10x64xf32>, %v: tensor<?x11x32xf32>) -> tensor<?x49x32xf32> {
  // expected-error @+2 {{sequence dims (1) of operand 'key' shape [?, 10, 64] and operand 'value' shape [?, 11, 32] differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.attention %q, %k, %v heads(4) : (tensor<?x49x64xf32>, tensor<?x10x64xf32>, tensor<?x11x32xf32>) -> tensor<?x49x32xf32>
  return %0 : tensor<?x49x32xf32>
}

// -----

func.func @attention_batch(%q: tensor<2x49x64xf32>, %k: tensor<3x10x64xf32>, %v: tensor<3x10x32xf32>) -> tensor<2x49x32xf32> {
  // expected-error @+2 {{batch dims (0) of operand 'query' shape [2, 49, 64] and operand 'key' shape [3, 10, 64] differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.attention %q, %k, %v heads(4) : (tensor<2x49x64xf32>, tensor<3x10x64xf32>, tensor<3x10x32xf32>) -> tensor<2x49x32xf32>
  return %0 : tensor<2x49x32xf32>
}

// -----

func.func @attention_heads(%q: tensor<?x49x64xf32>, %k: tensor<?x10x64xf32>, %v: tensor<?x10x32xf32>) -> tensor<?x49x32xf32> {
  // expected-error @+2 {{heads = 3 does not divide the feature dim of operand 'query' shape [?, 49, 64]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.attention %q, %k, %v heads(3) : (tensor<?x49x64xf32>, tensor<?x10x64xf32>, tensor<?x10x32xf32>) -> tensor<?x49x32xf32>
  return %0 : tensor<?x49x32xf32>
}

// -----

func.func @embedding_odd(%t: tensor<?xf32>) -> tensor<?x63xf32> {
  // expected-error @+2 {{dim must be even (half sine, half cosine features), got 63}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.time_embedding sinusoidal %t dim(63) : (tensor<?xf32>) -> tensor<?x63xf32>
  return %0 : tensor<?x63xf32>
}

// -----

func.func @fourier_needs_frequencies(%t: tensor<?xf32>) -> tensor<?x64xf32> {
  // expected-error @+2 {{fourier embedding needs a 'frequencies' operand of shape [32]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.time_embedding fourier %t dim(64) : (tensor<?xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @sinusoidal_no_frequencies(%t: tensor<?xf32>, %w: tensor<32xf32>) -> tensor<?x64xf32> {
  // expected-error @+2 {{sinusoidal embedding takes no 'frequencies' operand}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.time_embedding sinusoidal %t, %w dim(64) : (tensor<?xf32>, tensor<32xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @fourier_width(%t: tensor<?xf32>, %w: tensor<16xf32>) -> tensor<?x64xf32> {
  // expected-error @+2 {{operand 'frequencies' shape [16] must be [32] to match dim / 2 = 32, half the width of 'time' shape [?]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.time_embedding fourier %t, %w dim(64) : (tensor<?xf32>, tensor<16xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @embedding_time_rank(%t: tensor<?x1xf32>) -> tensor<?x64xf32> {
  // expected-error @+2 {{operand 'time' must have rank 1, got shape [?, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.time_embedding sinusoidal %t dim(64) : (tensor<?x1xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @concat_empty() -> tensor<2xf32> {
  // expected-error @+2 {{needs at least one input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "score.concat"() <{axis = 0 : i64}> : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @max_period(%t: tensor<?xf32>) -> tensor<?x64xf32> {
  // expected-error @+2 {{max_period must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.time_embedding sinusoidal %t dim(64) {max_period = 0.0 : f64} : (tensor<?xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @layer_norm_eps(%x: tensor<?x16xf32>, %g: tensor<16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{epsilon must be positive, got -1}}
  %0 = score.layer_norm %x, %g, %g {epsilon = -1.0 : f64} : (tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

func.func @dense_scalar(%x: tensor<f32>, %w: tensor<1x5xf32>) -> tensor<5xf32> {
  // expected-error @+2 {{operand 'input' must have rank >= 1, got shape []}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.dense %x, %w : (tensor<f32>, tensor<1x5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @group_norm_rank(%x: tensor<32xf32>, %g: tensor<32xf32>) -> tensor<32xf32> {
  // expected-error @+2 {{operand 'input' must have rank >= 2, got shape [32]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.group_norm %x, %g, %g groups(8) : (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
  return %0 : tensor<32xf32>
}

// -----

func.func @pool_stride(%x: tensor<?x3x8x8xf32>) -> tensor<?x3x7x7xf32> {
  // expected-error @+2 {{'stride' must be two positive integers [height, width], got [1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.avg_pool %x {kernel = array<i64: 2, 2>, stride = array<i64: 1>} : (tensor<?x3x8x8xf32>) -> tensor<?x3x7x7xf32>
  return %0 : tensor<?x3x7x7xf32>
}

// -----

func.func @residual_shape(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %r: tensor<?x1xf32>) -> tensor<?x8xf32> {
  // expected-error @+2 {{operand 'residual' shape [?, 1] must equal the result shape [?, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.dense %x, %w residual %r : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @reduce_sum_axes(%x: tensor<?x3xf32>) -> tensor<1x1xf32> {
  // expected-error @+2 {{axes [1, 0] must be increasing axes of operand 'input' shape [?, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.reduce_sum %x axes [1, 0] : (tensor<?x3xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

func.func @broadcast_misfit(%c: tensor<4xf32>, %x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+2 {{operand 'input' shape [4] does not broadcast to operand 'like' shape [?, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.broadcast %c like %x : (tensor<4xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @act_grad_order(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{attribute 'order' failed to satisfy constraint}}
  %0 = score.act_grad silu order(3) %x, %x : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @outer_sum_rows(%a: tensor<?x3xf32>, %b: tensor<?x2x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+2 {{operands 'lhs' shape [?, 3] and 'rhs' shape [?, 2, 4] must share all but their last dim}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = score.outer_sum %a, %b : (tensor<?x3xf32>, tensor<?x2x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @group_norm_grad_groups(%x: tensor<?x30x7x7xf32>, %g: tensor<30xf32>) -> tensor<?x30x7x7xf32> {
  // expected-error @+1 {{'score.group_norm_grad' op channels 30 of operand 'input' shape [?, 30, 7, 7] are not divisible by groups = 8}}
  %0:3 = score.group_norm_grad %x, %g, %x groups(8) : (tensor<?x30x7x7xf32>, tensor<30xf32>, tensor<?x30x7x7xf32>) -> (tensor<?x30x7x7xf32>, tensor<30xf32>, tensor<30xf32>)
  return %0#0 : tensor<?x30x7x7xf32>
}

// -----

func.func @group_norm_grad_gamma(%x: tensor<?x32x7x7xf32>, %g: tensor<16xf32>) -> tensor<?x32x7x7xf32> {
  // expected-error @+1 {{'score.group_norm_grad' op operand 'gamma' shape [16] must be [32] to match the channel dim (1) of 'input' shape [?, 32, 7, 7]}}
  %0:3 = score.group_norm_grad %x, %g, %x groups(8) : (tensor<?x32x7x7xf32>, tensor<16xf32>, tensor<?x32x7x7xf32>) -> (tensor<?x32x7x7xf32>, tensor<16xf32>, tensor<16xf32>)
  return %0#0 : tensor<?x32x7x7xf32>
}

// -----

func.func @group_norm_grad_cotangent(%x: tensor<?x32x7x7xf32>, %g: tensor<32xf32>, %d: tensor<?x32x7x8xf32>) -> tensor<?x32x7x7xf32> {
  // expected-error @+1 {{'score.group_norm_grad' op failed to verify that all of {input, grad, input_grad} have same type}}
  %0:3 = score.group_norm_grad %x, %g, %d groups(8) : (tensor<?x32x7x7xf32>, tensor<32xf32>, tensor<?x32x7x8xf32>) -> (tensor<?x32x7x7xf32>, tensor<32xf32>, tensor<32xf32>)
  return %0#0 : tensor<?x32x7x7xf32>
}
