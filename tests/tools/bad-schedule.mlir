// RUN: not tweedie-opt %s 2>&1 | FileCheck %s -DFILE=%s
// A malformed attribute parameter is a parse error at the parameter.

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // CHECK: [[FILE]]:[[@LINE+1]]:100: error: expected floating point literal
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.ddpm_linear<timesteps = 10, beta_end = high> method #sampler.ddpm<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
