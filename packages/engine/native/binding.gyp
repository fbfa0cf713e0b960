# The rapsqlite native companion: one shared library that is both a Node-API addon and an SQLite loadable
# extension. Build it with `node build.mjs` (offline, never fails the install); see README.md.
{
  'variables': {
    # better-sqlite3's bundled SQLite: the extension must match the SQLite it is loaded into.
    'sqlite_include_dir%': '<!(node -p "require(\'path\').join(require(\'path\').dirname(require.resolve(\'better-sqlite3/package.json\')), \'deps\', \'sqlite3\')")',
    'napi_include_dir%': '<!(node -p "require(\'node-api-headers\').include_dir")',
  },
  'targets': [
    {
      'target_name': 'rapsqlite_companion',
      'sources': ['src/slots.c', 'src/extension.c', 'src/addon.c', 'src/hooks.c', 'src/fastpath.c'],
      'include_dirs': ['<(napi_include_dir)', '<(sqlite_include_dir)'],
      'defines': ['NAPI_VERSION=8'],
      'conditions': [
        ['OS=="win"', {
          'msvs_settings': {
            'VCCLCompilerTool': { 'AdditionalOptions': ['/W3'] },
          },
        }, {
          # Hidden by default: only the SQLite entry point and the Node-API registration symbols are exported,
          # so that our copy of `sqlite3_api` can never interpose with another extension's.
          'cflags': ['-std=c11', '-fPIC', '-fvisibility=hidden', '-Wall', '-Wextra', '-Wno-unused-parameter'],
          'ldflags': ['-pthread'],
          'xcode_settings': {
            'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
            'GCC_C_LANGUAGE_STANDARD': 'c11',
            'MACOSX_DEPLOYMENT_TARGET': '11.0',
          },
        }],
      ],
    },
  ],
}
