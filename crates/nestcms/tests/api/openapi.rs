//! The OpenAPI document served by the running service.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_served_document_is_openapi_3_1_and_lists_every_route() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let res = app.get("/api/openapi.json").await?;
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await?;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    for (path, method) in [("/health/live", "get"), ("/health/ready", "get")] {
        let op = &doc["paths"][path][method];
        assert!(op["responses"].is_object(), "{path} {method} is documented");
    }
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                assert!(
                    response["description"].is_string(),
                    "{method} {path} {status} needs a description"
                );
            }
        }
    }
    assert_eq!(
        doc["paths"]["/health/ready"]["get"]["responses"]["503"]["content"]["application/problem+json"]
            ["schema"]["$ref"],
        "#/components/schemas/Problem",
        "error responses are documented with the problem schema"
    );
    assert!(doc["components"]["schemas"]["Problem"]["properties"]["code"].is_object());
    assert_eq!(
        doc,
        serde_json::to_value(nestcms_http::openapi())?,
        "served document = `nestcms openapi` output"
    );
    Ok(())
}

#[tokio::test]
async fn large_responses_are_compressed() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await?;
    assert_eq!(
        res.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    Ok(())
}
