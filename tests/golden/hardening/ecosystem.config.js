// The hardening profiles (pmgen.ini(5), HARDENING): strict with overrides and read-write paths, a root
// app (keeps its capabilities), and one with the sandbox off.
module.exports = {
  apps: [
    {
      name: "api",
      script: "server.js",
      port: 3000,
      instances: 2,
      hardening: "strict",
      read_write_paths: ["data", "/var/tmp"],
      hardening_override: ["ProtectHome=tmpfs", "SystemCallFilter=@system-service @resources", "MemoryDenyWriteExecute=no"],
    },
    { name: "ops", script: "server.js", user: "root" },
    { name: "legacy", script: "server.js", hardening: "off", out_file: "/var/log/legacy.log" },
  ],
};
