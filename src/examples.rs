//! The example flows in the repository's `flows/`, embedded in the binary
//! so the editor's Import dialog can offer them (its Examples tab, served
//! by the admin API as Node-RED's `examples` library) wherever flowgate
//! runs. Each has a title and a line saying what it shows; the flows
//! themselves are the files, unchanged.

use flowgate_runtime::admin::ExampleFlow;

/// Every example, in the order the Examples tab lists them.
pub const EXAMPLES: &[ExampleFlow] = &[
    ExampleFlow {
        name: "ignite-jwt",
        title: "Ignite: Generate JWT",
        description: "Ignite's \"Generate JWT\" flow verbatim: GET /jwt/generate answers \
                      {\"access_token\": …}, signed HS256 by the jwt-config igniteadmin \
                      (its secret is generated on first deploy).",
        flow: include_str!("../flows/ignite-jwt.json"),
    },
    ExampleFlow {
        name: "hello",
        title: "Hello",
        description: "The smallest HTTP endpoint: GET /hello/:name answers the query string \
                      as JSON.",
        flow: include_str!("../flows/hello.json"),
    },
    ExampleFlow {
        name: "kore-sts",
        title: "Kore.ai STS",
        description: "A token service for the Kore.ai Web SDK: POST /api/users/sts/ \
                      {\"identity\"} → {\"jwt\"}, HS256 with KORE_CLIENT_ID and \
                      KORE_CLIENT_SECRET.",
        flow: include_str!("../flows/kore-sts.json"),
    },
    ExampleFlow {
        name: "cobrowse-agent",
        title: "Cobrowse.io agent tokens",
        description: "POST /cobrowse/token issues RS256 agent tokens (issuer \
                      COBROWSE_LICENSE_KEY); the public key is served on \
                      /.well-known/jwks.json.",
        flow: include_str!("../flows/cobrowse-agent.json"),
    },
    ExampleFlow {
        name: "cockpit-verify",
        title: "Cockpit: audience and scope checks",
        description: "GET /cockpit/api/info accepts a bearer token only with the \
                      organisation's audience and memberof scope; POST /cockpit/jwt \
                      issues test tokens.",
        flow: include_str!("../flows/cockpit-verify.json"),
    },
    ExampleFlow {
        name: "contrib-jwt-sign-verify",
        title: "node-red-contrib-jwt: sign and verify",
        description: "jwt sign (RS512) and jwt verify over HTTP with PEM key files: \
                      GET /contrib/sign, GET /contrib/verify.",
        flow: include_str!("../flows/contrib-jwt-sign-verify.json"),
    },
    ExampleFlow {
        name: "mqtt-jwt-devices",
        title: "MQTT devices with JWTs",
        description: "Telemetry published with a device JWT is verified and republished \
                      on readings/<id>; rejected readings go to devices/<id>/errors.",
        flow: include_str!("../flows/mqtt-jwt-devices.json"),
    },
];
