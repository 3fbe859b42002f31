#!/usr/bin/python3
"""Runs a throwaway Keystone (Debian's keystone package) for the suites.

    keystone-run.py HOME

HOME holds keystone.conf and admin.pw (written by tests/lib/keystone.bash),
and gets the
sqlite database, the fernet and credential keys and these files:

    port      written as soon as the listening socket exists (a free port of
              127.0.0.1, chosen by the kernel)
    swift.url read: the Swift proxy's base URL, written by keystone.bash once
              Swift runs (Swift needs Keystone's port, Keystone's catalog
              needs Swift's)
    env       shell assignments for the suites (OS_*, KS_*), written last
    ready     written when Keystone answers and everything is set up

Everything a `keystone-manage db_sync; fernet_setup; credential_setup;
bootstrap` would do happens in this one process (each keystone-manage run
costs seconds of imports), then a threaded wsgiref server serves the public
API.  Users, projects, the object-store endpoints and an application
credential are made through the REST API, as an operator would.
"""
import base64
import json
import os
import socket
import socketserver
import sqlite3
import sys
import threading
import time
import urllib.request
import wsgiref.simple_server

HOME = os.path.abspath(sys.argv[1])
# The Swift proxy's authtoken signs in as admin: keystone.bash chose the
# password and put it in its config.
with open(os.path.join(HOME, 'admin.pw')) as f:
    ADMIN_PASSWORD = f.read().strip()
USER_PASSWORD = os.urandom(12).hex()
REGION = 'RegionOne'


def path(name):
    return os.path.join(HOME, name)


T0 = time.monotonic()


def mark(what):
    """Start-up timings in the log, to see where the seconds go."""
    sys.stderr.write('keystone-run: %s at %.2f s\n' %
                     (what, time.monotonic() - T0))
    sys.stderr.flush()


def write_atomic(name, text):
    with open(path(name) + '.tmp', 'w') as f:
        f.write(text)
    os.rename(path(name) + '.tmp', path(name))


def make_keys(name):
    """What keystone-manage fernet_setup / credential_setup write: a
    staged key 0 and a primary key 1."""
    d = path(name)
    os.makedirs(d, mode=0o700, exist_ok=True)
    for i in ('0', '1'):
        with open(os.path.join(d, i), 'w') as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)).decode())


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write('%s\n' % (fmt % args))


class Server(socketserver.ThreadingMixIn, wsgiref.simple_server.WSGIServer):
    daemon_threads = True


def api(url, method='GET', body=None, token=None, want_token=False):
    req = urllib.request.Request(url, method=method)
    req.add_header('Content-Type', 'application/json')
    if token:
        req.add_header('X-Auth-Token', token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data, timeout=60) as r:
        text = r.read()
        out = json.loads(text) if text else {}
        if want_token:
            return r.headers['X-Subject-Token'], out
        return out


def password_token(base, user, password, project):
    return api(base + '/v3/auth/tokens', 'POST', {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': 'default'},
            'password': password}}},
        'scope': {'project': {'name': project,
                              'domain': {'id': 'default'}}}}},
        want_token=True)


def setup_swift(base, swift_url):
    """The object-store service, its endpoints, a project and a user with
    the member role, and an application credential of that user."""
    admin, _ = password_token(base, 'admin', ADMIN_PASSWORD, 'admin')
    svc = api(base + '/v3/services', 'POST', {'service': {
        'type': 'object-store', 'name': 'swift'}}, admin)['service']
    for iface in ('public', 'internal', 'admin'):
        api(base + '/v3/endpoints', 'POST', {'endpoint': {
            'service_id': svc['id'], 'interface': iface, 'region_id': REGION,
            'url': swift_url + '/v1/AUTH_%(project_id)s'}}, admin)
    project = api(base + '/v3/projects', 'POST', {'project': {
        'name': 'swiftproject', 'domain_id': 'default'}}, admin)['project']
    user = api(base + '/v3/users', 'POST', {'user': {
        'name': 'swiftuser', 'domain_id': 'default',
        'password': USER_PASSWORD}}, admin)['user']
    roles = api(base + '/v3/roles?name=member', token=admin)['roles']
    api(base + '/v3/projects/%s/users/%s/roles/%s' % (
        project['id'], user['id'], roles[0]['id']), 'PUT', token=admin)
    token, _ = password_token(base, 'swiftuser', USER_PASSWORD,
                              'swiftproject')
    cred = api(base + '/v3/users/%s/application_credentials' % user['id'],
               'POST', {'application_credential': {'name': 'rdbpipe-test'}},
               token)['application_credential']
    env = {
        'OS_AUTH_URL': base + '/v3',
        'OS_IDENTITY_API_VERSION': '3',
        'OS_USERNAME': 'swiftuser',
        'OS_PASSWORD': USER_PASSWORD,
        'OS_PROJECT_NAME': 'swiftproject',
        'OS_USER_DOMAIN_NAME': 'Default',
        'OS_PROJECT_DOMAIN_NAME': 'Default',
        'OS_REGION_NAME': REGION,
        'OS_INTERFACE': 'public',
        'KS_URL': base,
        'KS_PROJECT_ID': project['id'],
        'KS_USER_ID': user['id'],
        'KS_ADMIN_PASSWORD': ADMIN_PASSWORD,
        'KS_APPCRED_ID': cred['id'],
        'KS_APPCRED_SECRET': cred['secret'],
        'KS_STORAGE_URL': swift_url + '/v1/AUTH_' + project['id'],
    }
    write_atomic('env', ''.join("export %s='%s'\n" % kv
                                for kv in sorted(env.items())))


def main():
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    base = 'http://127.0.0.1:%d' % port
    write_atomic('port', '%d\n' % port)

    make_keys('fernet-keys')
    make_keys('credential-keys')
    # Keystone's sqlite database, in WAL mode: the server's threads and
    # the setup requests write at once.
    db = sqlite3.connect(path('keystone.db'))
    db.execute('PRAGMA journal_mode=WAL')
    db.close()

    sys.argv[1:] = []
    import keystone.server
    from keystone.cmd import bootstrap
    from keystone.common.sql import upgrades
    from keystone.server.flask import application, core
    mark('imports done')
    keystone.server.configure(config_files=[path('keystone.conf')])
    upgrades.offline_sync_database_to_version()
    mark('database migrated')
    # The Bootstrapper loads the backends (the provider registry allows
    # that once), so it comes before the application.
    b = bootstrap.Bootstrapper()
    b.admin_password = ADMIN_PASSWORD
    b.admin_username = 'admin'
    b.project_name = 'admin'
    b.admin_role_name = 'admin'
    b.service_name = 'keystone'
    b.region_id = REGION
    b.public_url = base
    b.internal_url = base
    b.bootstrap()
    app = core.setup_app_middleware(application.application_factory('public'))
    mark('bootstrapped')

    server = Server(('127.0.0.1', port), QuietHandler,
                    bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_name = '127.0.0.1'
    server.server_port = port
    server.setup_environ()
    server.set_app(app)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    while not os.path.exists(path('swift.url')):
        time.sleep(0.05)
    with open(path('swift.url')) as f:
        swift_url = f.read().strip()
    mark('swift is up')
    setup_swift(base, swift_url)
    mark('ready')
    write_atomic('ready', 'ok\n')
    while True:
        time.sleep(3600)


if __name__ == '__main__':
    main()
