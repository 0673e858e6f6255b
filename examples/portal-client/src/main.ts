// A small portal client, typed from schema.graphql by @graphql-codegen:
//   1. signs in (the README's `SignIn`),
//   2. pages through the caseload (the README's `Caseload`) until `hasNextPage` is false,
//   3. subscribes to `caseloadEvents` over graphql-transport-ws and waits for the event of a
//      client it registers itself.
//
//   node dist/main.js http://127.0.0.1:8080 counselor1@demo.continuum quiet-river-lantern-83
//
// It prints what it saw as one JSON line (the test in tests/api/example_client.rs reads it)
// and exits non-zero on any error.

import { print } from "graphql";
import { ClientError, GraphQLClient } from "graphql-request";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { graphql } from "./gql/index.js";
import { CaseloadDocument, SignInDocument } from "./gql/graphql.js";
import type { CaseloadEventsSubscription, CaseloadQuery } from "./gql/graphql.js";

const CaseloadEvents = graphql(`
  subscription CaseloadEvents {
    caseloadEvents { kind at clientId client { firstName } actor { name } }
  }
`);

const RegisterClient = graphql(`
  mutation ExampleRegisterClient($input: RegisterClientInput!) {
    registerClient(input: $input) { id version firstName }
  }
`);

type CaseloadClient = CaseloadQuery["clients"]["edges"][number]["node"];

async function main(): Promise<void> {
  const [base, email, password] = process.argv.slice(2);
  if (!base || !email || !password) {
    throw new Error("usage: node dist/main.js BASE_URL EMAIL PASSWORD");
  }
  const endpoint = `${base}/graphql`;

  // 1. Sign in. The access token goes in the Authorization header of every later call.
  const anonymous = new GraphQLClient(endpoint);
  const { login } = await anonymous.request(SignInDocument, { input: { email, password } });
  const api = new GraphQLClient(endpoint, { headers: { authorization: `Bearer ${login.accessToken}` } });

  // 2. Page the caseload, a few clients at a time, following `endCursor`.
  const clients: CaseloadClient[] = [];
  let after: string | null | undefined = null;
  let pages = 0;
  let totalCount: number | null | undefined;
  for (;;) {
    const page: CaseloadQuery = await api.request(CaseloadDocument, { first: 5, after });
    pages += 1;
    totalCount = page.clients.totalCount;
    clients.push(...page.clients.edges.map((edge) => edge.node));
    if (!page.clients.pageInfo.hasNextPage) break;
    after = page.clients.pageInfo.endCursor;
  }

  // 3. Subscribe, then make a change the subscription must report.
  const socket = createClient({
    url: `${base.replace(/^http/, "ws")}/graphql/ws`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${login.accessToken}` },
    lazy: false,
    retryAttempts: 0,
  });
  const events = socket.iterate<CaseloadEventsSubscription>({
    query: print(CaseloadEvents),
  });
  // The server acknowledges a subscription before it returns its first event; give the
  // socket a moment to subscribe before the change is made.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const { registerClient } = await api.request(RegisterClient, {
    input: {
      firstName: "Example",
      lastName: `Client-${Date.now()}`,
      dateOfBirth: "1990-01-01",
      substances: ["ALCOHOL"],
      confirmNotDuplicate: true,
    },
  });
  let event: CaseloadEventsSubscription["caseloadEvents"] | undefined;
  const deadline = setTimeout(() => void events.return?.(), 10_000);
  for await (const next of events) {
    if (next.errors?.length) throw new Error(JSON.stringify(next.errors));
    if (next.data?.caseloadEvents.clientId === registerClient.id) {
      event = next.data.caseloadEvents;
      break;
    }
  }
  clearTimeout(deadline);
  await socket.dispose();

  console.log(
    JSON.stringify({
      signedInAs: login.staff.role,
      pages,
      totalCount,
      clientsSeen: clients.length,
      distinctClients: new Set(clients.map((c) => c.id)).size,
      registered: registerClient.id,
      event: event ?? null,
    }),
  );
}

main().catch((error: unknown) => {
  if (error instanceof ClientError) {
    console.error(JSON.stringify(error.response.errors));
  } else {
    console.error(error);
  }
  process.exit(1);
});
