//===- ScoreOps.td - score dialect operations ----------------*- tablegen -*-===//
//
// Every op with a computable result shape infers it (InferTypeOpAdaptor); the
// shape checks live in inferReturnTypes so that builders, the parser and the
// verifier share one set of messages, each naming the operands and their shapes.
//
//===----------------------------------------------------------------------===//

#ifndef TWEEDIE_DIALECT_SCORE_IR_SCOREOPS_TD
#define TWEEDIE_DIALECT_SCORE_IR_SCOREOPS_TD

include "tweedie/Dialect/Score/IR/ScoreBase.td"
include "tweedie/Dialect/Score/IR/ScoreInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

class Score_ShapedOp<string mnemonic, list<Trait> traits = []>
    : Score_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)>;

// An op with a reverse-mode rule (dialects/lib/Score/ScoreVJPs.cpp).
defvar Score_HasVJP = DeclareOpInterfaceMethods<Score_VJPOpInterface>;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Score_ParamOp : Score_Op<"param", [Pure, Score_HasVJP]> {
  let summary = "a named trained weight";
  let description = [{
    Resolved by name from the model's `.safetensors` file. The shape must be
    static: weights do not depend on the batch.

    ```mlir
    %w = score.param "net.0.weight" : tensor<2x256xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

// The epilogue that --tweedie-fuse-epilogues folds into dense/conv2d (and the
// activation into group_norm): y = act(op(x)) + residual, one library call.
class Score_EpilogueFormat<string operands> {
  string format = operands # [{ (`act` $activation^)? (`residual` $residual^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def Score_DenseOp : Score_ShapedOp<"dense", [AttrSizedOperandSegments, Score_HasVJP]> {
  let summary = "fully connected layer y = act(x W + b) + residual over the last axis";
  let description = [{
    `input` [..., K], `weight` [K, N], optional `bias` [N]; result [..., N].
    `act` and `residual` (same shape as the result) are the fused epilogue.
  }];
  let arguments = (ins Score_FloatTensor:$input, Score_FloatTensor:$weight,
                       Optional<Score_FloatTensor>:$bias,
                       Optional<Score_FloatTensor>:$residual,
                       OptionalAttr<Score_ActKind>:$activation);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = Score_EpilogueFormat<"$input `,` $weight (`,` $bias^)?">.format;
}

def Score_Conv2DOp : Score_ShapedOp<"conv2d", [AttrSizedOperandSegments, Score_HasVJP]> {
  let summary = "2-D convolution (cross-correlation), NCHW, with fused epilogue";
  let description = [{
    `input` [N, C, H, W], `weight` [O, C/groups, KH, KW], optional `bias` [O].
    `stride` and `padding` are [height, width]; padding is symmetric zeros.
    Result [N, O, (H + 2 ph - KH) / sh + 1, (W + 2 pw - KW) / sw + 1].
    `act` and `residual` (same shape as the result) are the fused epilogue.
  }];
  let arguments = (ins Score_FloatTensor:$input, Score_FloatTensor:$weight,
                       Optional<Score_FloatTensor>:$bias,
                       Optional<Score_FloatTensor>:$residual,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       OptionalAttr<Score_ActKind>:$activation);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = Score_EpilogueFormat<"$input `,` $weight (`,` $bias^)?">.format;
}

def Score_AttentionOp : Score_ShapedOp<"attention", [Score_HasVJP]> {
  let summary = "multi-head scaled dot-product attention";
  let description = [{
    `query` [B, L, D], `key` [B, S, D], `value` [B, S, E]; `heads` divides D and
    E. Each head h computes softmax(q_h k_h^T / sqrt(D / heads)) v_h; the heads'
    outputs are concatenated to [B, L, E]. Projections are separate `dense` ops.
  }];
  let arguments = (ins Score_FloatTensor:$query, Score_FloatTensor:$key,
                       Score_FloatTensor:$value,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `heads` `(` $heads `)` attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

def Score_GroupNormOp : Score_ShapedOp<"group_norm", [Score_HasVJP]> {
  let summary = "group normalisation over axis 1 (Wu & He 2018)";
  let description = [{
    `input` [N, C, ...]; channels split into `groups` groups, each normalised
    over its channels and all trailing axes, then y = act(gamma * x_hat + beta)
    with `gamma`, `beta` [C] and an optional fused activation.
  }];
  let arguments = (ins Score_FloatTensor:$input, Score_FloatTensor:$gamma,
                       Score_FloatTensor:$beta,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon,
                       OptionalAttr<Score_ActKind>:$activation);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `groups` `(` $groups `)` (`act` $activation^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Score_LayerNormOp : Score_ShapedOp<"layer_norm", [Score_HasVJP]> {
  let summary = "layer normalisation over the last axis";
  let description = [{
    `input` [..., D], `gamma` and `beta` [D]; y = gamma * (x - mean) /
    sqrt(var + epsilon) + beta with biased variance.
  }];
  let arguments = (ins Score_FloatTensor:$input, Score_FloatTensor:$gamma,
                       Score_FloatTensor:$beta,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Score_ActOp : Score_Op<"act", [Pure, SameOperandsAndResultType, Score_HasVJP,
                                    InferTypeOpInterface]> {
  let summary = "elementwise activation";
  let description = [{
    One of the activations of tweedie/Activations.def, with the formulas and
    derivatives of tweedie/Activation.h (silu(x) = x sigmoid(x); gelu is the
    exact erf form; softplus(x) = log(1 + exp(x))).

    ```mlir
    %y = score.act silu %x : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Score_ActKind:$kind, Score_FloatTensor:$input);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input)";
}

def Score_ScaleOp : Score_Op<"scale", [Pure, SameOperandsAndResultType, Score_HasVJP,
                                        InferTypeOpInterface]> {
  let summary = "elementwise factor * x + shift with constant factor and shift";
  let description = [{
    The affine maps of preconditioning and guidance (c_in x, w d + b) without
    a constant tensor to broadcast.

    ```mlir
    %y = score.scale %x by 0.5 shift 1.0 : tensor<?x2xf32>
    ```
  }];
  let arguments = (ins Score_FloatTensor:$input, F64Attr:$factor,
                       DefaultValuedAttr<F64Attr, "0.0">:$shift);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = "$input `by` $factor (`shift` $shift^)? attr-dict `:` type($input)";
  let hasFolder = 1; // 1 x + 0 is x
}

class Score_BroadcastBinaryOp<string mnemonic, string formula>
    : Score_ShapedOp<mnemonic, [Commutative, Score_HasVJP]> {
  let summary = "elementwise " # formula # " with NumPy broadcasting";
  let description = [{
    Shapes are aligned at their last axes; each pair of dims must be equal or
    one of them 1. A dynamic dim matches anything.
  }];
  let arguments = (ins Score_FloatTensor:$lhs, Score_FloatTensor:$rhs);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Score_AddOp : Score_BroadcastBinaryOp<"add", "lhs + rhs">;
def Score_MulOp : Score_BroadcastBinaryOp<"mul", "lhs * rhs">;

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

def Score_ConcatOp : Score_ShapedOp<"concat", [Score_HasVJP]> {
  let summary = "concatenation along one axis";
  let arguments = (ins Variadic<Score_FloatTensor>:$inputs,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `(` $axis `)` attr-dict `:` functional-type(operands, results)
  }];
}

def Score_UpsampleOp : Score_ShapedOp<"upsample", [Score_HasVJP]> {
  let summary = "nearest-neighbour upsampling of NCHW by an integer factor";
  let arguments = (ins Score_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$scale);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `scale` `(` $scale `)` attr-dict `:` functional-type(operands, results)
  }];
}

def Score_AvgPoolOp : Score_ShapedOp<"avg_pool", [Score_HasVJP]> {
  let summary = "2-D average pooling of NCHW, no padding";
  let arguments = (ins Score_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def Score_ReshapeOp : Score_Op<"reshape", [Pure, Score_HasVJP]> {
  let summary = "reinterpret the row-major elements with a new shape";
  let description = [{
    Element counts must agree. With a dynamic batch, both shapes carry one `?`
    and the products of their static dims must agree.
  }];
  let arguments = (ins Score_FloatTensor:$input);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1; // to its own shape; of a reshape; of a constant
}

def Score_TransposeOp : Score_ShapedOp<"transpose", [Score_HasVJP]> {
  let summary = "permute axes: result dim i is input dim permutation[i]";
  let arguments = (ins Score_FloatTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input $permutation attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1; // the identity; of a transpose; of a constant
}

//===----------------------------------------------------------------------===//
// Conditioning
//===----------------------------------------------------------------------===//

def Score_TimeEmbeddingOp : Score_ShapedOp<"time_embedding", [Score_HasVJP]> {
  let summary = "features of the diffusion time (or noise level) per sample";
  let description = [{
    `time` [B] -> [B, dim]. Sinusoidal: [sin(t f_k) | cos(t f_k)] with
    f_k = max_period^(-k / (dim/2)), k = 0..dim/2-1 (Vaswani et al. 2017, as in
    DDPM). Fourier: [sin(2 pi t w_k) | cos(2 pi t w_k)] with `frequencies` w
    [dim/2], a fixed random Gaussian `score.param` (Tancik et al. 2020, NCSN++).

    ```mlir
    %e = score.time_embedding sinusoidal %t dim(128) : (tensor<?xf32>) -> tensor<?x128xf32>
    %f = score.time_embedding fourier %t, %w dim(64) : (tensor<?xf32>, tensor<32xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Score_EmbeddingKind:$kind, Score_FloatTensor:$time,
                       Optional<Score_FloatTensor>:$frequencies,
                       ConfinedAttr<I64Attr, [IntPositive]>:$dim,
                       DefaultValuedAttr<F64Attr, "10000.0">:$max_period);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $time (`,` $frequencies^)? `dim` `(` $dim `)` attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Gradients: what reverse-mode rules emit (--tweedie-autodiff). Each has a
// rule of its own, so gradients can be differentiated again.
//===----------------------------------------------------------------------===//

def Score_ReduceSumOp : Score_ShapedOp<"reduce_sum", [Score_HasVJP]> {
  let summary = "sum over axes, keeping them as size 1";
  let description = [{
    Reducing the batch axis gives a static shape: how a weight's gradient sums
    its per-sample contributions, and how a loss becomes one number.

    ```mlir
    %g = score.reduce_sum %x axes [0] : (tensor<?x16xf32>) -> tensor<1x16xf32>
    ```
  }];
  let arguments = (ins Score_FloatTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axes` $axes attr-dict `:` functional-type(operands, results)
  }];
}

def Score_BroadcastOp : Score_ShapedOp<"broadcast", [Score_HasVJP]> {
  let summary = "broadcast to the shape of another tensor";
  let description = [{
    `input` broadcasts (NumPy rules) to the shape of `like`, which only lends
    its shape (with its dynamic batch). The rule of reduce_sum and the seed of
    a gradient.

    ```mlir
    %y = score.broadcast %c like %x : (tensor<1xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Score_FloatTensor:$input, Score_FloatTensor:$like);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `like` $like attr-dict `:` functional-type(operands, results)
  }];
}

def Score_ActGradOp : Score_ShapedOp<"act_grad", [Score_HasVJP]> {
  let summary = "grad times the activation's first or second derivative";
  let description = [{
    `grad * f'(input)` (order 1, the rule of score.act) or `grad * f''(input)`
    (order 2, the rule of order 1), elementwise, same shapes.

    ```mlir
    %dx = score.act_grad silu order(1) %x, %dy : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Score_ActKind:$kind, ConfinedAttr<I64Attr, [IntMinValue<1>, IntMaxValue<2>]>:$order,
                       Score_FloatTensor:$input, Score_FloatTensor:$grad);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $kind `order` `(` $order `)` $input `,` $grad attr-dict `:` functional-type(operands, results)
  }];
}

def Score_OuterSumOp : Score_ShapedOp<"outer_sum", [Score_HasVJP]> {
  let summary = "sum over rows of outer products: a dense weight's gradient";
  let description = [{
    `lhs` [..., M] and `rhs` [..., N] with the same leading dims: the [M, N]
    sum over every leading index r of lhs[r]^T rhs[r].

    ```mlir
    %dw = score.outer_sum %x, %dy : (tensor<?x2xf32>, tensor<?x16xf32>) -> tensor<2x16xf32>
    ```
  }];
  let arguments = (ins Score_FloatTensor:$lhs, Score_FloatTensor:$rhs);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Score_SliceOp : Score_ShapedOp<"slice", [Score_HasVJP]> {
  let summary = "a contiguous range along one axis (the rule of concat)";
  let arguments = (ins Score_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$offset,
                       ConfinedAttr<I64Attr, [IntPositive]>:$size);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `(` $axis `)` `offset` `(` $offset `)` `size` `(` $size `)` attr-dict `:`
    functional-type(operands, results)
  }];
}

def Score_PadOp : Score_ShapedOp<"pad", [Score_HasVJP]> {
  let summary = "zeros before and after along one axis (the rule of slice)";
  let arguments = (ins Score_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$before,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$after);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `(` $axis `)` `before` `(` $before `)` `after` `(` $after `)` attr-dict `:`
    functional-type(operands, results)
  }];
}

def Score_Conv2DBackwardDataOp : Score_ShapedOp<"conv2d_backward_data", [Score_HasVJP]> {
  let summary = "the input cotangent of conv2d (a transposed convolution)";
  let description = [{
    `grad` [N, O, OH, OW] (the result's cotangent) and `weight` [O, C/groups,
    KH, KW] of a conv2d with these stride, padding and groups, whose input was
    shaped like `like` [N, C, H, W]: the cotangent of that input.
  }];
  let arguments = (ins Score_FloatTensor:$grad, Score_FloatTensor:$weight,
                       Score_FloatTensor:$like,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $weight `like` $like attr-dict `:` functional-type(operands, results)
  }];
}

def Score_Conv2DBackwardWeightOp : Score_ShapedOp<"conv2d_backward_weight", [Score_HasVJP]> {
  let summary = "the weight cotangent of conv2d, summed over the batch";
  let description = [{
    `input` [N, C, H, W] of a conv2d with these stride, padding, groups and
    `kernel` [KH, KW], and `grad` [N, O, OH, OW] its result's cotangent:
    the [O, C/groups, KH, KW] cotangent of its weight.
  }];
  let arguments = (ins Score_FloatTensor:$input, Score_FloatTensor:$grad,
                       DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Score_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad attr-dict `:` functional-type(operands, results)
  }];
}

def Score_AttentionGradOp : Score_Op<"attention_grad", [Pure,
    AllTypesMatch<["query", "query_grad"]>, AllTypesMatch<["key", "key_grad"]>,
    AllTypesMatch<["value", "value_grad"]>]> {
  let summary = "the cotangents of attention's query, key and value";
  let description = [{
    Given the operands of a `score.attention` with `heads` heads and the
    cotangent `grad` of its result: (d query, d key, d value). First order
    only: it has no rule of its own.
  }];
  let arguments = (ins Score_FloatTensor:$query, Score_FloatTensor:$key,
                       Score_FloatTensor:$value, Score_FloatTensor:$grad,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads);
  let results = (outs Score_FloatTensor:$query_grad, Score_FloatTensor:$key_grad,
                      Score_FloatTensor:$value_grad);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $grad `heads` `(` $heads `)` attr-dict `:`
    functional-type(operands, results)
  }];
}

def Score_GroupNormGradOp : Score_Op<"group_norm_grad", [Pure,
    DeclareOpInterfaceMethods<Score_DecomposableOpInterface>,
    AllTypesMatch<["input", "grad", "input_grad"]>,
    AllTypesMatch<["gamma", "gamma_grad", "beta_grad"]>]> {
  let summary = "the cotangents of group_norm's input, gamma and beta";
  let description = [{
    Given the `input` [N, C, ...] and `gamma` [C] of a `score.group_norm`
    with these `groups` and `epsilon` (no activation) and the cotangent `grad`
    of its result: (d input, d gamma, d beta), the statistics recomputed from
    the input. One kernel where the primitive form makes a dozen passes over
    the data; autodiff decomposes it into that form to differentiate it again.
  }];
  let arguments = (ins Score_FloatTensor:$input, Score_FloatTensor:$gamma,
                       Score_FloatTensor:$grad,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon);
  let results = (outs Score_FloatTensor:$input_grad, Score_FloatTensor:$gamma_grad,
                      Score_FloatTensor:$beta_grad);
  let assemblyFormat = [{
    $input `,` $gamma `,` $grad `groups` `(` $groups `)` attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // TWEEDIE_DIALECT_SCORE_IR_SCOREOPS_TD
