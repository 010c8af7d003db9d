// RUN: tweedie-opt %s | FileCheck %s
// RUN: tweedie-opt %s | tweedie-opt | FileCheck %s
// float64 schedule parameters print in the shortest form that parses back to
// the same double, so coefficients survive any number of round trips.

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// CHECK-LABEL: func @f
func.func @f(%n: tensor<?x2xf32>, %s: i64, %first: index) {
  // CHECK: #sampler.vp<beta_min = 0.30000000000000004, beta_max = 19.999999999999996>
  %0 = sampler.solve @net(%n, %s, %first) schedule #sampler.vp<beta_min = 0.30000000000000004, beta_max = 19.999999999999996> method #sampler.euler_maruyama prediction eps steps 10 : tensor<?x2xf32>
  // CHECK: #sampler.ve<sigma_min = 1.0e-300, sigma_max = 1.0e+300>
  %1 = sampler.solve @net(%n, %s, %first) schedule #sampler.ve<sigma_min = 1.0e-300, sigma_max = 1.0e+300> method #sampler.euler_maruyama prediction score steps 10 : tensor<?x2xf32>
  // CHECK: #sampler.sigmas<[0.3333333333333333, 0.1, 5.0e-324]>
  %2 = sampler.solve @net(%n, %s, %first) schedule #sampler.sigmas<[0.3333333333333333, 0.1, 4.9406564584124654e-324]> method #sampler.ode<> prediction x0 steps 3 : tensor<?x2xf32>
  return
}

// The per-step tables of the conditioning ops too (the builtin array syntax
// would print 0.4493643).
// CHECK-LABEL: func @tables
func.func @tables(%i: index, %x: tensor<?x2xf32>) -> (tensor<?xf32>, tensor<1xf32>) {
  // CHECK: sampler.timestep %{{.*}} for %{{.*}} values [0.4493643128129916, 1.0]
  %t = sampler.timestep %i for %x values [0.4493643128129916, 1.0] : tensor<?x2xf32> -> tensor<?xf32>
  // CHECK: sampler.time_value %{{.*}} values [0.30000000000000004]
  %v = sampler.time_value %i values [0.30000000000000004] : tensor<1xf32>
  return %t, %v : tensor<?xf32>, tensor<1xf32>
}
