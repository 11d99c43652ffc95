// What `amber spec` writes and `amber features` prints, runc's `spec` and `features` for Amber: runc's
// default config (a read-only root "rootfs", /proc, /dev and its friends, the usual namespaces) with
// process.args[0] naming the .wasm program inside the root, and what of runtime-spec Amber honours.

export function defaultSpec(): object {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/app.wasm'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'amber',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** runc features' document (runtime-spec features.md): what this runtime does with a config. */
export const FEATURES = {
  ociVersionMin: '1.0.0',
  ociVersionMax: '1.1.0',
  hooks: [],
  mountOptions: ['bind', 'rbind', 'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'],
  linux: {
    namespaces: ['mount', 'pid', 'ipc', 'uts', 'user', 'network', 'cgroup'],
    capabilities: [],
    cgroup: { v1: false, v2: false, systemd: false, systemdUser: false },
    seccomp: { enabled: false },
    apparmor: { enabled: false },
    selinux: { enabled: false },
  },
  annotations: {
    'io.github.amber.checkpoint.whole-pod': 'true',
    'io.github.amber.cri.annotations': 'io.kubernetes.cri.container-type, io.kubernetes.cri.sandbox-id, io.kubernetes.cri.container-name',
  },
};
