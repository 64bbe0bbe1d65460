# The speaker's link addon (speaker/native/README.md). Built by build.js,
# which passes --nodedir so node-gyp never downloads headers.
{
  "targets": [
    {
      "target_name": "metallb_link",
      "sources": [
        "src/addon.cc",
        "src/common.cc",
        "src/icmp6-socket.cc",
        "src/interface.cc",
        "src/packet-socket.cc",
        "src/receiver.cc",
        "src/tcp.cc",
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", {"type": "none"}]],
    }
  ]
}
