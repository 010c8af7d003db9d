//===- ScoreBase.td - the score dialect and its enums --------*- tablegen -*-===//
//
// `score` expresses score networks as value-semantic tensor ops at the granularity
// a library kernel works at (one oneDNN primitive, one cuDNN call).
//
//===----------------------------------------------------------------------===//

#ifndef TWEEDIE_DIALECT_SCORE_IR_SCOREBASE_TD
#define TWEEDIE_DIALECT_SCORE_IR_SCOREBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Score_Dialect : Dialect {
  let name = "score";
  let cppNamespace = "::tweedie::score";
  let summary = "Score networks: value-semantic tensor ops for diffusion models";
  let description = [{
    Networks are `func.func`s whose bodies are `score` ops on ranked float
    tensors. Images are NCHW, token sequences are [batch, length, features],
    dense weights are [in, out], conv weights are [out, in/groups, kh, kw].
    A leading dynamic dimension (`?`) stands for the batch.
  }];
  // Folds of constants (a transposed or reshaped constant) become arith.constant.
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
}

// Element types a network may use. The reference interpreter computes in f64
// whatever the storage type.
def Score_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;

// Case for case tweedie/Activations.def, numbered from 1 as tweedie::Activation
// is (0 is its None): FromDialects.h asserts it at compile time.
def Score_ActKind : I32EnumAttr<"ActKind", "elementwise activation function", [
    I32EnumAttrCase<"silu", 1>,
    I32EnumAttrCase<"gelu", 2>,
    I32EnumAttrCase<"relu", 3>,
    I32EnumAttrCase<"tanh", 4>,
    I32EnumAttrCase<"softplus", 5>,
    // Pointwise math, for networks with closed forms (the analytic scores of
    // models/analytic, EDM-style preconditioning): e^x, ln x, sqrt x, x^2, 1/x.
    I32EnumAttrCase<"exp", 6>,
    I32EnumAttrCase<"log", 7>,
    I32EnumAttrCase<"sqrt", 8>,
    I32EnumAttrCase<"square", 9>,
    I32EnumAttrCase<"reciprocal", 10>,
    I32EnumAttrCase<"sigmoid", 11>]> {
  let cppNamespace = "::tweedie::score";
}

def Score_EmbeddingKind : I32EnumAttr<"EmbeddingKind", "time embedding family", [
    // Transformer/DDPM sinusoidal features [sin(t f_k), cos(t f_k)],
    // f_k = max_period^(-k / (dim/2)).
    I32EnumAttrCase<"sinusoidal", 0>,
    // Gaussian Fourier features [sin(2 pi t w_k), cos(2 pi t w_k)] with fixed
    // random w (Song et al. 2021, NCSN++).
    I32EnumAttrCase<"fourier", 1>]> {
  let cppNamespace = "::tweedie::score";
}

class Score_Op<string mnemonic, list<Trait> traits = []>
    : Op<Score_Dialect, mnemonic, traits>;

#endif // TWEEDIE_DIALECT_SCORE_IR_SCOREBASE_TD
