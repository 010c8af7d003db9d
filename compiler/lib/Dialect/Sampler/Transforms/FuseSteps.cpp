//===- FuseSteps.cpp - sampler step ops -> sampler.affine_step -----------===//
//
// Each linear step op is x' = a x + b y + c z for per-step constants. Rather
// than re-deriving a, b, c from the papers (a second definition that could
// disagree with the first), the coefficients are read off the float64
// reference semantics: a = step(x=1, y=0, z=0), b = step(0, 1, 0), c =
// step(0, 0, 1).
//
//===----------------------------------------------------------------------===//
#include "tweedie/Dialect/Sampler/IR/SamplerOps.h"
#include "tweedie/Reference/FromDialects.h"
#include "tweedie/Reference/SamplerSteps.h"
#include "tweedie/Dialect/Sampler/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tweedie {
#define GEN_PASS_DEF_TWEEDIEFUSESTEPS
#include "tweedie/Dialect/Sampler/Transforms/Passes.h.inc"
} // namespace tweedie

using namespace mlir;
using namespace tweedie;
using namespace tweedie::sampler;
namespace ref = tweedie::reference;

namespace {

/// One step as a function of scalar (x, y, z); the reference kernels on
/// one-element tensors.
using ScalarStep = std::function<double(double x, double y, double z)>;

ref::Tensor scalar(double v) { return ref::Tensor({1}, {v}); }

struct AffineTables {
  std::vector<double> a, b, c;
};

AffineTables linearize(size_t steps, const std::function<ScalarStep(size_t)> &stepAt) {
  AffineTables t;
  for (size_t i = 0; i < steps; ++i) {
    ScalarStep f = stepAt(i);
    t.a.push_back(f(1, 0, 0));
    t.b.push_back(f(0, 1, 0));
    t.c.push_back(f(0, 0, 1));
  }
  return t;
}

LogicalResult replaceWithAffine(PatternRewriter &rewriter, Operation *op, Value x, Value y,
                                Value z, Value step, const AffineTables &tables) {
  auto fused = rewriter.create<AffineStepOp>(
      op->getLoc(), x.getType(), x, y, z, step, rewriter.getDenseF64ArrayAttr(tables.a),
      rewriter.getDenseF64ArrayAttr(tables.b), rewriter.getDenseF64ArrayAttr(tables.c));
  rewriter.replaceOp(op, fused.getResult());
  return success();
}

struct FuseAncestral : OpRewritePattern<AncestralStepOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AncestralStepOp op, PatternRewriter &rewriter) const override {
    ArrayRef<double> ab = op.getAlphaBar(), abp = op.getAlphaBarPrev();
    bool posterior = op.getVariance() == AncestralVariance::posterior;
    AffineTables t = linearize(ab.size(), [&](size_t i) -> ScalarStep {
      return [&, i](double x, double y, double z) {
        return ref::ancestralStep(scalar(x), scalar(y), scalar(z), ab[i], abp[i], posterior)
            .value()[0];
      };
    });
    return replaceWithAffine(rewriter, op, op.getX(), op.getEps(), op.getNoise(),
                             op.getStep(), t);
  }
};

struct FuseDDIM : OpRewritePattern<DDIMStepOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DDIMStepOp op, PatternRewriter &rewriter) const override {
    ArrayRef<double> ab = op.getAlphaBar(), abp = op.getAlphaBarPrev();
    double eta = op.getEta().convertToDouble();
    AffineTables t = linearize(ab.size(), [&](size_t i) -> ScalarStep {
      return [&, i](double x, double y, double z) {
        ref::Tensor noise = scalar(z);
        return ref::ddimStep(scalar(x), scalar(y), &noise, ab[i], abp[i], eta).value()[0];
      };
    });
    if (!op.getNoise()) // deterministic: the noise coefficient is exactly 0
      std::fill(t.c.begin(), t.c.end(), 0.0);
    return replaceWithAffine(rewriter, op, op.getX(), op.getEps(), op.getNoise(),
                             op.getStep(), t);
  }
};

struct FuseLangevin : OpRewritePattern<LangevinStepOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LangevinStepOp op, PatternRewriter &rewriter) const override {
    ArrayRef<double> eta = op.getStepSize();
    AffineTables t = linearize(eta.size(), [&](size_t i) -> ScalarStep {
      return [&, i](double x, double y, double z) {
        return ref::langevinStep(scalar(x), scalar(y), scalar(z), eta[i]).value()[0];
      };
    });
    return replaceWithAffine(rewriter, op, op.getX(), op.getScore(), op.getNoise(),
                             op.getStep(), t);
  }
};

struct FuseEulerMaruyama : OpRewritePattern<EulerMaruyamaStepOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EulerMaruyamaStepOp op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<double> f = op.getDrift(), g2 = op.getDiffusionSq(), dt = op.getDt();
    AffineTables t = linearize(f.size(), [&](size_t i) -> ScalarStep {
      return [&, i](double x, double y, double z) {
        return ref::eulerMaruyamaStep(scalar(x), scalar(y), scalar(z), f[i], g2[i], dt[i])
            .value()[0];
      };
    });
    return replaceWithAffine(rewriter, op, op.getX(), op.getScore(), op.getNoise(),
                             op.getStep(), t);
  }
};

/// affine(x, reparameterize(out, x)) = a x + b (p out + q x) + c z
///                                   = (a + b q) x + (b p) out + c z.
struct FoldReparameterize : OpRewritePattern<AffineStepOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AffineStepOp op, PatternRewriter &rewriter) const override {
    auto convert = op.getY().getDefiningOp<ReparameterizeOp>();
    if (!convert || !convert->hasOneUse() || convert.getX() != op.getX() ||
        convert.getStep() != op.getStep())
      return rewriter.notifyMatchFailure(op, "y is not a conversion of the same x");
    ArrayRef<double> alpha = convert.getAlpha(), sigma = convert.getSigma();
    if (alpha.size() != op.getA().size())
      return rewriter.notifyMatchFailure(op, "tables of different lengths");
    ref::Prediction from = ref::toPrediction(convert.getFrom()),
                    to = ref::toPrediction(convert.getTo());
    AffineTables t{{}, {}, {op.getC().begin(), op.getC().end()}};
    for (size_t i = 0; i < alpha.size(); ++i) {
      auto apply = [&](double out, double x) {
        return ref::reparameterize(scalar(out), scalar(x), from, to, alpha[i], sigma[i])
            .value()[0];
      };
      const double p = apply(1, 0), q = apply(0, 1);
      t.a.push_back(op.getA()[i] + op.getB()[i] * q);
      t.b.push_back(op.getB()[i] * p);
    }
    Value output = convert.getOutput();
    LogicalResult result =
        replaceWithAffine(rewriter, op, op.getX(), output, op.getZ(), op.getStep(), t);
    rewriter.eraseOp(convert);
    return result;
  }
};

struct FuseStepsPass : tweedie::impl::TweedieFuseStepsBase<FuseStepsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseStepPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void tweedie::populateFuseStepPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseAncestral, FuseDDIM, FuseLangevin, FuseEulerMaruyama, FoldReparameterize>(
      patterns.getContext());
}
