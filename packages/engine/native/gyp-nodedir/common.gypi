# A stand-in for the common.gypi of Node.js's header tarball. The companion uses Node-API only (headers from
# the node-api-headers package), so build.mjs points node-gyp's --nodedir here instead of letting node-gyp
# download the full Node.js headers: the build then works offline and with any Node.js version.
{
  'variables': {
    'visibility%': 'hidden',
    'library%': 'static_library',
  },
  'target_defaults': {
    'default_configuration': 'Release',
    'configurations': {
      'Debug': {
        'defines': ['DEBUG', '_DEBUG'],
        'cflags': ['-g', '-O0'],
        'xcode_settings': { 'GCC_OPTIMIZATION_LEVEL': '0', 'GCC_GENERATE_DEBUGGING_SYMBOLS': 'YES' },
      },
      'Release': {
        'defines': ['NDEBUG'],
        'cflags': ['-O2'],
        'xcode_settings': { 'GCC_OPTIMIZATION_LEVEL': '2' },
      },
    },
  },
}
