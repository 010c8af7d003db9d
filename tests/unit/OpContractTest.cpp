//===- OpContractTest.cpp - the op table, attribute views and activations -===//
//
// The runtime's op contract is declared once (Ops.def, OpAttrs.h,
// Activations.def + Activation.h). These tests hold the pieces to each
// other and to independent references: the FlatBuffers schema's names, a
// write/read round trip of every attribute view, and the activations'
// derivatives against central finite differences in float64.
//
//===----------------------------------------------------------------------===//
#include "tweedie/Activation.h"
#include "tweedie/module/ModuleDesc.h"
#include "tweedie/module/OpAttrs.h"

#include "module_generated.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

namespace tweedie {
namespace {

using module::OpDesc;
using module::OpKind;

TEST(OpTable, FileKindsAreTheSchemasByNameAndValue) {
  struct Entry {
    const char *enumerator;
    OpKind kind;
  };
  const Entry entries[] = {
#define TWEEDIE_FILE_OP(Kind, name, operands, optional) {#Kind, OpKind::Kind},
#define TWEEDIE_TRAINING_OP(Kind, name, operands, optional)
#include "tweedie/module/Ops.def"
  };
  ASSERT_EQ(std::size(entries), module::kNumOpKinds);
  for (const Entry &e : entries)
    EXPECT_STREQ(fb::EnumNameOpKind(static_cast<fb::OpKind>(e.kind)), e.enumerator);
}

TEST(OpTable, EveryKindHasItsOwnNameAndSaneOperandCounts) {
  std::set<std::string> names;
  for (uint16_t k = 0; k < module::kNumAllOpKinds; ++k) {
    const auto kind = static_cast<OpKind>(k);
    const std::string name = module::opKindName(kind);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
    const module::OperandCounts counts = module::operandCounts(kind);
    EXPECT_GE(counts.required, 0) << name;
    EXPECT_TRUE(counts.optional >= 0 || counts.optional == module::kVariadic) << name;
  }
  EXPECT_STREQ(module::opKindName(static_cast<OpKind>(module::kNumAllOpKinds)), "unknown");
  EXPECT_STREQ(module::opKindName(OpKind::Conv2DBackwardWeight), "conv2d_backward_weight");
  EXPECT_EQ(module::operandCounts(OpKind::Dense).required, 2);
  EXPECT_EQ(module::operandCounts(OpKind::Dense).optional, 2);
  EXPECT_EQ(module::operandCounts(OpKind::Concat).optional, module::kVariadic);
}

TEST(OpAttrs, WhatIsWrittenReadsBack) {
  OpDesc op;
  module::Conv2DAttrs conv{{2, 1}, {1, 0}, 4};
  conv.write(op);
  EXPECT_EQ(op.ints, (std::vector<int64_t>{2, 1, 1, 0, 4}));
  const auto convBack = module::Conv2DAttrs::read(op);
  EXPECT_EQ(convBack.stride, conv.stride);
  EXPECT_EQ(convBack.padding, conv.padding);
  EXPECT_EQ(convBack.groups, 4);

  op = {};
  module::GroupNormAttrs{8, 1e-6}.write(op);
  EXPECT_EQ(module::GroupNormAttrs::read(op).groups, 8);
  EXPECT_EQ(module::GroupNormAttrs::read(op).epsilon, 1e-6);

  op = {};
  const double a[] = {1, 2}, b[] = {3, 4}, c[] = {5, 6};
  module::AffineStepAttrs::write(op, a, b, c);
  const auto affine = module::AffineStepAttrs::read(op);
  ASSERT_EQ(affine.a.size(), 2u);
  EXPECT_EQ(affine.a[1], 2);
  EXPECT_EQ(affine.b[0], 3);
  EXPECT_EQ(affine.c[1], 6);

  op = {};
  module::LangevinCorrectorAttrs::write(op, a, 0.16);
  EXPECT_EQ(module::LangevinCorrectorAttrs::read(op).alpha.size(), 2u);
  EXPECT_EQ(module::LangevinCorrectorAttrs::read(op).snr, 0.16);

  op = {};
  op.kind = module::OpKind::AttentionGrad;
  module::AttentionGradAttrs grads{4, {7, -1, 9}};
  grads.write(op);
  EXPECT_EQ(module::AttentionGradAttrs::read(op).cotangents, grads.cotangents);
  EXPECT_EQ(module::furtherResults(op), grads.cotangents);

  op = {};
  op.kind = module::OpKind::GroupNormGrad;
  module::GroupNormGradAttrs norm{8, 1e-3, {5, 6, -1}};
  norm.write(op);
  EXPECT_EQ(module::GroupNormGradAttrs::read(op).groups, 8);
  EXPECT_EQ(module::GroupNormGradAttrs::read(op).epsilon, 1e-3);
  EXPECT_EQ(module::furtherResults(op), norm.cotangents);

  op = {};
  module::RandnAttrs{3, true}.write(op);
  EXPECT_EQ(module::RandnAttrs::read(op).draw, 3);
  EXPECT_TRUE(module::RandnAttrs::read(op).rademacher);
  op.ints = {3}; // a one-entry layout: normals
  EXPECT_FALSE(module::RandnAttrs::read(op).rademacher);
}

TEST(OpAttrs, AWrongLayoutIsAnErrorNamingIt) {
  OpDesc op;
  op.ints = {1, 1, 0};
  try {
    module::Conv2DAttrs::read(op);
    FAIL() << "a 3-int conv2d layout was read";
  } catch (const module::AttrLayoutError &e) {
    EXPECT_STREQ(e.what(), "needs 5 integer attributes, has 3");
  }
  op = {};
  op.floats = {1, 2, 3, 4};
  EXPECT_THROW(module::AffineStepAttrs::read(op), module::AttrLayoutError);
  op = {};
  EXPECT_THROW(module::LangevinCorrectorAttrs::read(op), module::AttrLayoutError);
  op.ints = {1, 0, 1};
  EXPECT_THROW(module::RandnAttrs::read(op), module::AttrLayoutError);
}

/// Points away from each activation's kinks and poles (ReLU's 0; log, sqrt
/// and 1/x need x > 0).
const double kPoints[] = {0.37, 0.9, 1.7, 2.6};

TEST(Activations, DerivativesMatchCentralDifferences) {
  for (uint8_t k = 0; k < kNumActivations; ++k) {
    const auto kind = static_cast<Activation>(k);
    for (double x : kPoints) {
      for (double sign : {1.0, -1.0}) {
        const double at = kind == Activation::Log || kind == Activation::Sqrt ||
                                  kind == Activation::Reciprocal
                              ? x
                              : sign * x;
        const double h = 1e-5;
        auto f = [&](double v) { return activate(v, kind); };
        auto df = [&](double v) { return activationDerivative(v, kind, 1); };
        const double first = (f(at + h) - f(at - h)) / (2 * h);
        const double second = (df(at + h) - df(at - h)) / (2 * h);
        EXPECT_NEAR(activationDerivative(at, kind, 1), first, 1e-6 * (1 + std::abs(first)))
            << activationName(kind) << " at " << at;
        EXPECT_NEAR(activationDerivative(at, kind, 2), second, 1e-5 * (1 + std::abs(second)))
            << activationName(kind) << " at " << at;
      }
    }
  }
}

TEST(Activations, FloatIsDoubleRounded) {
  for (uint8_t k = 0; k < kNumActivations; ++k) {
    const auto kind = static_cast<Activation>(k);
    for (double x : kPoints) {
      const double exact = activate(x, kind);
      const float single = activate(static_cast<float>(x), kind);
      EXPECT_NEAR(single, exact, 4e-7 * (1 + std::abs(exact))) << activationName(kind);
    }
  }
}

TEST(Activations, NamesAreTheDialectsKeywords) {
  EXPECT_STREQ(activationName(Activation::None), "none");
  EXPECT_STREQ(activationName(Activation::SiLU), "silu");
  EXPECT_STREQ(activationName(Activation::Reciprocal), "reciprocal");
  EXPECT_STREQ(activationName(static_cast<Activation>(kNumActivations)), "unknown");
}

} // namespace
} // namespace tweedie
