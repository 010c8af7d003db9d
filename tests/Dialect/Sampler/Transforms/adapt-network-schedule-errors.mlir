// RUN: tweedie-opt %s --split-input-file --verify-diagnostics --tweedie-adapt-network-schedule
// Schedules a network's conditioning cannot be converted to are refused at
// compile time, naming both schedules and the spans.

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32>
    attributes {sampler.schedule = #sampler.ddpm_linear<>} {
  return %x : tensor<?x2xf32>
}
func.func @karras(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{samples @net on schedule #sampler.karras<>, whose noise sigma/alpha spans 0.002 .. 80, but it was trained on #sampler.ddpm_linear<>, which spans 0.0100005 .. 157.407: give the schedule sigma_min and sigma_max within that span}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.karras<> method #sampler.ode<> prediction eps steps 8 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @energy(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32>
    attributes {sampler.schedule = #sampler.ncsn<>} {
  %e = score.reshape %t : tensor<?xf32> -> tensor<?xf32>
  return %e : tensor<?xf32>
}
func.func @vp(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{samples the energy network @energy on schedule #sampler.vp<>, but it was trained on #sampler.ncsn<>: an energy's conditioning is not converted yet}}
  %0 = sampler.solve @energy(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.ode<> prediction energy steps 8 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
