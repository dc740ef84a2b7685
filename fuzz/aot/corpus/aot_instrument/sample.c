static void f(void) {
  FUNC_PROLOGUE;
  w2c_L0:
  if (x) {goto w2c_L0;}
  switch (y) { case 0: goto w2c_L0; default: goto w2c_B1; }
}
#define RANGE_CHECK(mem, offset, len) if (1) TRAP(OOB);
#define CALL_INDIRECT(a) a
#define DEFINE_LOAD(x) x
