//===- AddOneKernel.h - a PTX kernel for the CUDA runtime's tests -*- C++
//-*-===//
//
// Hand-written PTX (checked with `ptxas -arch=sm_80`), so the tests need no
// compiler: add_one(float *data, uint32 count) adds 1 to each element.
//
//===----------------------------------------------------------------------===//

#ifndef XF_TEST_UNIT_RUNTIME_CUDA_ADDONEKERNEL_H
#define XF_TEST_UNIT_RUNTIME_CUDA_ADDONEKERNEL_H

namespace xf::test {

inline constexpr const char *kAddOnePtx = R"(.version 7.0
.target sm_80
.address_size 64
.visible .entry add_one(.param .u64 data, .param .u32 count)
{
  .reg .pred %p<2>;
  .reg .b32 %r<6>;
  .reg .f32 %f<3>;
  .reg .b64 %rd<5>;
  ld.param.u64 %rd1, [data];
  ld.param.u32 %r1, [count];
  mov.u32 %r2, %ctaid.x;
  mov.u32 %r3, %ntid.x;
  mov.u32 %r4, %tid.x;
  mad.lo.s32 %r5, %r2, %r3, %r4;
  setp.ge.u32 %p1, %r5, %r1;
  @%p1 bra DONE;
  cvta.to.global.u64 %rd2, %rd1;
  mul.wide.u32 %rd3, %r5, 4;
  add.s64 %rd4, %rd2, %rd3;
  ld.global.f32 %f1, [%rd4];
  add.f32 %f2, %f1, 0f3F800000;
  st.global.f32 [%rd4], %f2;
DONE:
  ret;
}
)";

} // namespace xf::test

#endif // XF_TEST_UNIT_RUNTIME_CUDA_ADDONEKERNEL_H
