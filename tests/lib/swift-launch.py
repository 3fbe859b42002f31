#!/usr/bin/python3
"""Runs one piece of a throwaway OpenStack Swift for the test suites.

Swift reads swift.conf only from /etc/swift/swift.conf (the swift_dir
option moves the rings, not that file), so this launcher points
swift.common.utils.SWIFT_CONF_FILE at the test's own swift.conf and reloads
what was parsed from it at import time (constraints, storage policies)
before any server module is imported.  The system's /etc/swift is never
read or written.

    swift-launch.py HOME setup [OVERRIDE]...   free ports, rings, configs
    swift-launch.py HOME start NAME...         build the rings, fork the
                                               NAME-servers, record their
                                               pids, wait for them
    swift-launch.py HOME wait SECONDS NAME...  until each NAME listens
    swift-launch.py HOME once NAME             one pass of container-updater
                                               or object-expirer

setup writes the configs (no Swift import: it is quick) and prints "name
port" lines (memcached, account, container, object,
proxy).  An OVERRIDE is text of "[section]" lines and "key = value" lines;
lines before any header belong to [app:proxy-server].  Sections
swift-hash, swift-constraints and storage-policy:* go to swift.conf, the
rest to proxy-server.conf; a key given twice takes the last value.
"""
import configparser
import os
import socket
import sys

# Everything here is on 127.0.0.1: eventlet's green DNS (dnspython and
# requests, about half a second of imports per process) is not needed.
os.environ['EVENTLET_NO_GREENDNS'] = 'yes'

HOME = os.path.abspath(sys.argv[1])
SWIFT_CONF = os.path.join(HOME, 'swift.conf')


def quick_monkey_patch():
    """eventlet's monkey_patch greens the RLocks that already exist and
    runs gc.collect() once per lock type to find them: half a second per
    daemon.  A fresh process has nothing for a collection to find."""
    import gc
    import eventlet.patcher as patcher
    green_locks = patcher._green_existing_locks

    def without_collect():
        collect = gc.collect
        gc.collect = lambda *a: 0
        try:
            green_locks()
        finally:
            gc.collect = collect
    patcher._green_existing_locks = without_collect


def repoint_swift_conf():
    from swift.common import utils
    utils.SWIFT_CONF_FILE = SWIFT_CONF
    utils.HASH_PATH_SUFFIX = b''
    utils.HASH_PATH_PREFIX = b''
    from swift.common import constraints, storage_policy
    constraints.reload_constraints()
    storage_policy.reload_storage_policies()
    utils.validate_configuration()


def free_ports(n):
    """n distinct ports the kernel considers free right now."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def new_parser():
    p = configparser.RawConfigParser(strict=False)
    p.optionxform = str
    return p


def write_conf(path, sections):
    p = new_parser()
    for name, kv in sections.items():
        if name != 'DEFAULT':
            p.add_section(name)
        for k, v in kv.items():
            p.set(name, k, v)
    with open(path, 'w') as f:
        p.write(f)


def apply_overrides(swift_conf, proxy_conf, overrides):
    for text in overrides:
        section = 'app:proxy-server'
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            if line.startswith('[') and line.endswith(']'):
                section = line[1:-1].strip()
                continue
            if '=' not in line:
                sys.exit('swift-launch: bad override line: %r' % line)
            k, v = (x.strip() for x in line.split('=', 1))
            target = swift_conf if (
                section in ('swift-hash', 'swift-constraints') or
                section.startswith('storage-policy:')) else proxy_conf
            target.setdefault(section, {})[k] = v


def setup(overrides):
    user = __import__('pwd').getpwuid(os.getuid()).pw_name
    names = ['memcached', 'account', 'container', 'object', 'proxy']
    ports = dict(zip(names, free_ports(len(names))))
    devices = os.path.join(HOME, 'srv')
    os.makedirs(os.path.join(devices, 'd1'), exist_ok=True)
    os.makedirs(os.path.join(HOME, 'cache'), exist_ok=True)
    os.makedirs(os.path.join(HOME, 'run'), exist_ok=True)
    memcache = '127.0.0.1:%d' % ports['memcached']
    common = {
        'bind_ip': '127.0.0.1',
        'user': user,
        'swift_dir': HOME,
        'devices': devices,
        'mount_check': 'false',
        'workers': '0',
        'log_level': 'INFO',
        'recon_cache_path': os.path.join(HOME, 'cache'),
        'disable_fallocate': 'true',
    }
    swift_conf = {
        'swift-hash': {'swift_hash_path_suffix': os.urandom(8).hex()},
        'storage-policy:0': {'name': 'gold', 'default': 'yes'},
        'swift-constraints': {},
    }
    proxy = {
        'DEFAULT': dict(common, bind_port=str(ports['proxy'])),
        'pipeline:main': {'pipeline': ' '.join([
            'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging',
            'cache', 'bulk', 'tempauth', 'slo', 'dlo', 'proxy-logging',
            'proxy-server'])},
        'app:proxy-server': {
            'use': 'egg:swift#proxy',
            'allow_account_management': 'true',
            'account_autocreate': 'true',
            'error_suppression_interval': '0',
            'node_timeout': '10',
            'conn_timeout': '2',
        },
        'filter:catch_errors': {'use': 'egg:swift#catch_errors'},
        'filter:gatekeeper': {'use': 'egg:swift#gatekeeper'},
        'filter:healthcheck': {'use': 'egg:swift#healthcheck'},
        'filter:proxy-logging': {'use': 'egg:swift#proxy_logging'},
        'filter:cache': {'use': 'egg:swift#memcache',
                         'memcache_servers': memcache},
        'filter:bulk': {'use': 'egg:swift#bulk'},
        'filter:tempauth': {'use': 'egg:swift#tempauth',
                            'user_test_tester': 'testing .admin'},
        'filter:slo': {'use': 'egg:swift#slo',
                       'rate_limit_after_segment': '1000000'},
        'filter:dlo': {'use': 'egg:swift#dlo',
                       'rate_limit_after_segment': '1000000'},
    }
    apply_overrides(swift_conf, proxy, overrides)
    write_conf(SWIFT_CONF, swift_conf)
    write_conf(os.path.join(HOME, 'proxy-server.conf'), proxy)
    for kind in ('account', 'container', 'object'):
        write_conf(os.path.join(HOME, '%s-server.conf' % kind), {
            'DEFAULT': dict(common, bind_port=str(ports[kind])),
            'pipeline:main': {'pipeline': '%s-server' % kind},
            'app:%s-server' % kind: {'use': 'egg:swift#%s' % kind},
            '%s-replicator' % kind: {},
            '%s-updater' % kind: {'interval': '1'},
            '%s-auditor' % kind: {},
        })
    # The expirer's conf is named object-expirer.conf: 2.30 then reads
    # the legacy queue and uses this file for its internal client.
    write_conf(os.path.join(HOME, 'object-expirer.conf'), {
        'DEFAULT': dict(common),
        'object-expirer': {'interval': '1', 'dequeue_from_legacy': 'true',
                           'report_interval': '1'},
        'pipeline:main': {'pipeline': 'catch_errors cache proxy-server'},
        'app:proxy-server': {'use': 'egg:swift#proxy',
                             'error_suppression_interval': '0'},
        'filter:cache': {'use': 'egg:swift#memcache',
                         'memcache_servers': memcache},
        'filter:catch_errors': {'use': 'egg:swift#catch_errors'},
    })
    with open(os.path.join(HOME, 'ports'), 'w') as f:
        for name in names:
            print(name, ports[name], file=f)
    for name in names:
        print(name, ports[name])


def build_rings():
    """One replica, one device: the rings the proxy reads at start."""
    from swift.common.ring import RingBuilder
    with open(os.path.join(HOME, 'ports')) as f:
        ports = dict((n, int(p)) for n, p in (line.split() for line in f))
    for kind in ('account', 'container', 'object'):
        b = RingBuilder(4, 1, 0)
        b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'weight': 1.0,
                   'ip': '127.0.0.1', 'port': ports[kind], 'device': 'd1'})
        b.rebalance(seed=1)
        b.get_ring().save(os.path.join(HOME, '%s.ring.gz' % kind))


def start(names):
    """Imports Swift once, then forks one daemon per server: the imports
    and eventlet's monkey patching are most of a daemon's start-up, and a
    loaded machine pays them once instead of four times.  Each child's
    output goes to HOME/log/NAME.log and its pid to HOME/pids; this process
    waits for them."""
    repoint_swift_conf()
    quick_monkey_patch()
    from swift.common import utils
    from swift.common.wsgi import run_wsgi
    import importlib
    for kind in ('account', 'container', 'obj', 'proxy'):
        importlib.import_module('swift.%s.server' % kind)
    utils.eventlet_monkey_patch()
    if 'proxy' in names:
        build_rings()
    sys.stdout.flush()
    sys.stderr.flush()
    for name in names:
        pid = os.fork()
        if pid == 0:
            log = os.open(os.path.join(HOME, 'log', name + '.log'),
                          os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(log)
            conf = os.path.join(HOME, '%s-server.conf' % name)
            try:
                rc = run_wsgi(conf, '%s-server' % name, verbose=True)
            except BaseException:
                import traceback
                traceback.print_exc()
                rc = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc or 0)
        with open(os.path.join(HOME, 'pids'), 'a') as f:
            print(pid, name, file=f)
    # Stay as the children's parent: an orphan waits for the container's
    # init to reap it, which here takes seconds after a kill.
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
        except KeyboardInterrupt:
            pass


def listening_inodes():
    """Socket inodes of the TCP sockets listening on 127.0.0.1, by port."""
    found = {}
    with open('/proc/net/tcp') as f:
        next(f)
        for line in f:
            fields = line.split()
            addr, port = fields[1].split(':')
            if fields[3] == '0A' and addr == '0100007F':
                found.setdefault(int(port, 16), set()).add(fields[9])
    return found


def owns(pid, inodes):
    try:
        fds = os.listdir('/proc/%d/fd' % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            link = os.readlink('/proc/%d/fd/%s' % (pid, fd))
        except OSError:
            continue
        if link.startswith('socket:[') and link[8:-1] in inodes:
            return True
    return False


def wait(names, timeout):
    """Until every NAME's process (HOME/pids) listens on its port (HOME/
    ports) itself, not merely someone else on that port: exit 0; 2 when
    one has died, 1 after timeout seconds."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(os.path.join(HOME, 'ports')) as f:
            ports = dict((n, int(p)) for n, p in (l.split() for l in f))
        try:
            with open(os.path.join(HOME, 'pids')) as f:
                pids = dict((n, int(p)) for p, n in (l.split() for l in f))
        except FileNotFoundError:
            pids = {}
        for pid in pids.values():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                sys.exit(2)
            except PermissionError:
                pass
        listening = listening_inodes()
        if all(n in pids and owns(pids[n], listening.get(ports[n], ()))
               for n in names):
            sys.exit(0)
        time.sleep(0.02)
    sys.exit(1)


def once(name):
    repoint_swift_conf()
    from swift.common.daemon import run_daemon
    if name == 'container-updater':
        from swift.container.updater import ContainerUpdater as klass
        conf = os.path.join(HOME, 'container-server.conf')
    elif name == 'object-expirer':
        from swift.obj.expirer import ObjectExpirer as klass
        conf = os.path.join(HOME, 'object-expirer.conf')
    else:
        sys.exit('swift-launch: unknown daemon %s' % name)
    run_daemon(klass, conf, once=True, verbose=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd = sys.argv[2]
    if cmd == 'setup':
        setup(sys.argv[3:])
    elif cmd == 'wait' and len(sys.argv) > 4:
        wait(sys.argv[4:], float(sys.argv[3]))
    elif cmd == 'start' and len(sys.argv) > 3:
        start(sys.argv[3:])
    elif cmd == 'once' and len(sys.argv) == 4:
        once(sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
