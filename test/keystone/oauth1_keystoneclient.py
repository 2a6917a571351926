"""The OAuth1 delegation flow through python-keystoneclient and keystoneauth1 (Debian's
python3-keystoneclient, python3-keystoneauth1 and python3-oauthlib), as a consumer application
and an authorizing user drive it. test/keystone/oauth1.e2e-spec.ts runs it.

Reads a JSON object on stdin: auth_url, user, password, login_project_id (the authorizer's
password login), project_id (the project to delegate on), roles (role ids to delegate). Prints a JSON object with what
each step returned. Secrets are returned to the caller only, never printed elsewhere.

With `consumer` and `access_token` (as a run printed them) instead, it only authenticates with
them: a consumer that already holds an access token (test/import/ uses it after an import).
"""
import json
import sys

from keystoneauth1 import session
from keystoneauth1.extras import oauth1 as ksa_oauth1
from keystoneauth1.identity import v3
from keystoneclient.v3 import client


def delegated_token(auth_url, consumer, access):
    """A token from the access token, and the delegated project read with it."""
    delegated = session.Session(auth=ksa_oauth1.V3OAuth1(
        auth_url=auth_url, consumer_key=consumer['id'], consumer_secret=consumer['secret'],
        access_key=access['id'], access_secret=access['secret']))
    ref = delegated.auth.get_access(delegated)
    # A call with the delegated token, through keystoneclient again.
    project = client.Client(session=delegated).projects.get(ref.project_id)
    return {
        'id': ref.auth_token, 'methods': ref._data['token']['methods'], 'project_id': ref.project_id, 'user_id': ref.user_id,
        'roles': sorted(ref.role_names), 'oauth': ref._data['token'].get('OS-OAUTH1'),
    }, project.name


def main():
    a = json.load(sys.stdin)
    if 'access_token' in a:
        token, project_name = delegated_token(a['auth_url'], a['consumer'], a['access_token'])
        json.dump({'token': token, 'project_name': project_name}, sys.stdout)
        return
    admin = session.Session(auth=v3.Password(
        auth_url=a['auth_url'], username=a['user'], password=a['password'],
        user_domain_id='default', project_id=a['login_project_id']))
    ks = client.Client(session=admin)

    consumer = ks.oauth1.consumers.create(description='keystoneclient consumer')
    shown = ks.oauth1.consumers.get(consumer.id)
    request = ks.oauth1.request_tokens.create(consumer.id, consumer.secret, a['project_id'])
    authorized = ks.oauth1.request_tokens.authorize(request.id, a['roles'])
    access = ks.oauth1.access_tokens.create(
        consumer.id, consumer.secret, request.id, request.secret, authorized.oauth_verifier)

    token, project_name = delegated_token(
        a['auth_url'], {'id': consumer.id, 'secret': consumer.secret}, {'id': access.id, 'secret': access.secret})

    json.dump({
        'consumer': {'id': consumer.id, 'secret': consumer.secret, 'description': shown.description},
        'request_token': {'id': request.id, 'expires': getattr(request, 'expires', None)},
        'verifier': authorized.oauth_verifier,
        'access_token': {'id': access.id, 'secret': access.secret, 'expires': getattr(access, 'expires', None)},
        'token': token,
        'project_name': project_name,
    }, sys.stdout)


if __name__ == '__main__':
    main()
