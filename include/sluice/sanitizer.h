/*
 * sanitizer.h: SLUICE_ASAN is defined when AddressSanitizer (and with it
 * LeakSanitizer) is built in, by gcc or by clang.
 */
#ifndef SLUICE_SANITIZER_H
#define SLUICE_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define SLUICE_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLUICE_ASAN	1
#endif
#endif

#endif
