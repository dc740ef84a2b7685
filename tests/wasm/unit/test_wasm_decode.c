#include "wasm_test.h"
int main(void) { return test_report(); }
