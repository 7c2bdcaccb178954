// The addon's ABI number: what its exports are and how they are called. src/native/addon.ts refuses
// a build whose `abi` export differs from its own NATIVE_ABI (test/unit/native-abi.test.ts keeps the
// two equal), and scripts/install-native.js rebuilds a prebuild that differs from this file. Raise
// it with any change of an export's name, arguments or results.
#ifndef VRRPD_NATIVE_ABI_H
#define VRRPD_NATIVE_ABI_H

#define VRRPD_NATIVE_ABI 3

#endif
