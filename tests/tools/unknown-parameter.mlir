// RUN: not tweedie-opt %s 2>&1 | FileCheck %s -DFILE=%s

func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) -> tensor<?x2xf32> {
  // CHECK: [[FILE]]:[[@LINE+1]]:{{[0-9]+}}: error: duplicate or unknown struct parameter name: gamma
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<gamma = 1.0> method #sampler.euler_maruyama prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
