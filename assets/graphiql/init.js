// Continuum's GraphiQL: every script comes from this server (no CDN), so it works on a
// closed clinic network. The headers editor starts with `Authorization: Bearer `; paste the
// access token from `login` after it. Subscriptions go over /graphql/ws with the same header.
(function () {
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
  function authorization() {
    try {
      var headers = JSON.parse(localStorage.getItem('graphiql:headers') || '{}');
      return headers.Authorization || headers.authorization;
    } catch (e) {
      return undefined;
    }
  }
  var fetcher = GraphiQL.createFetcher({
    url: '/graphql',
    wsClient: graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: function () { return { authorization: authorization() }; },
    }),
  });
  var defaultQuery = [
    '# Sign in, copy accessToken into the headers below after "Bearer ", then run Me.',
    'mutation SignIn($email: String!, $password: String!) {',
    '  login(email: $email, password: $password) { accessToken refreshToken expiresAt }',
    '}',
    '',
    'query Me {',
    '  me { id name email role }',
    '}',
    '',
  ].join('\n');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: JSON.stringify({ Authorization: 'Bearer ' }, null, 2),
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: true,
    })
  );
})();
