{
  "targets": [
    {
      "target_name": "persona",
      "sources": [
        "src/addon.cc",
        "src/apply-worker.cc",
        "src/can-socket.cc",
        "src/device.cc",
        "src/errno-error.cc",
        "src/event-watcher.cc",
        "src/sd-notify.cc",
        "src/uapi-values.cc"
      ],
      "include_dirs": ["../kmod/include/uapi"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
