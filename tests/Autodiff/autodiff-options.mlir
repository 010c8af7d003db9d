// Bad --tweedie-autodiff options are errors naming the problem, never a crash
// (an argument index too large for any integer type included).
// RUN: not tweedie-opt %s --tweedie-autodiff="function=loss wrt=arg99999999999999999999" 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not tweedie-opt %s --tweedie-autodiff="function=loss wrt=arg1" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not tweedie-opt %s --tweedie-autodiff="function=loss wrt=weights" 2>&1 | FileCheck %s --check-prefix=WORD
// RUN: not tweedie-opt %s --tweedie-autodiff="function=nope" 2>&1 | FileCheck %s --check-prefix=MISSING
// HUGE: wrt entry 'arg99999999999999999999' is neither 'params' nor argN with N < 1
// RANGE: wrt entry 'arg1' is neither 'params' nor argN with N < 1
// WORD: wrt entry 'weights' is neither 'params' nor argN with N < 1
// MISSING: --tweedie-autodiff: no func.func @nope

func.func @loss(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
