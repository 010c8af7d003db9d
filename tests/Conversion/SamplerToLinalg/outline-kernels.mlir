// RUN: tweedie-opt %s --tweedie-outline-kernels | FileCheck %s

// Both variants of the fused step get one linalg kernel each, shared by all
// steps; the steps name them.
// CHECK: sampler.affine_step {{.*}}sampler.kernel = @tweedie_affine_xyz
// CHECK: sampler.affine_step {{.*}}sampler.kernel = @tweedie_affine_xy
// CHECK: func.func @tweedie_affine_xyz(%[[X:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?xf32>, %[[Z:.*]]: memref<?xf32>, %[[O:.*]]: memref<?xf32>, %[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32) attributes {llvm.emit_c_interface, sampler.generated_kernel}
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[X]], %[[Y]], %[[Z]] : {{.*}}) outs(%[[O]] : memref<?xf32>)
// CHECK:     %[[AX:.*]] = arith.mulf %[[A]], %{{.*}} : f32
// CHECK:     %[[BY:.*]] = arith.mulf %[[B]], %{{.*}} : f32
// CHECK:     %[[S:.*]] = arith.addf %[[AX]], %[[BY]] : f32
// CHECK:     %[[CZ:.*]] = arith.mulf %[[C]], %{{.*}} : f32
// CHECK:     %[[T:.*]] = arith.addf %[[S]], %[[CZ]] : f32
// CHECK:     linalg.yield %[[T]] : f32
// CHECK: func.func @tweedie_affine_xy(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: f32, %{{.*}}: f32)
// CHECK-NOT: func.func @tweedie_affine
func.func @sample(%noise: tensor<?x4xf32>, %seed: i64, %first: index) -> tensor<?x4xf32> {
  %r = sampler.loop %i steps 1 iter_args(%x = %noise) -> (tensor<?x4xf32>) {
    %z = sampler.randn %x, seed %seed, sample %first, step %i : tensor<?x4xf32>
    %n = sampler.affine_step %x, %x, %z at %i {a = array<f64: 1.0>, b = array<f64: 0.5>, c = array<f64: 0.1>} : tensor<?x4xf32>
    %m = sampler.affine_step %n, %x at %i {a = array<f64: 1.0>, b = array<f64: 0.5>, c = array<f64: 0.0>} : tensor<?x4xf32>
    %k = sampler.affine_step %m, %x, %z at %i {a = array<f64: 1.0>, b = array<f64: 0.5>, c = array<f64: 0.1>} : tensor<?x4xf32>
    sampler.yield %k : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}
