package huawei

// OAuth 2.0 client credentials [vendor-protocols.md §4 Auth; HWDOC oauth2]:
// POST {auth}/oauth2/v3/token with client_id = AppID and client_secret =
// AppSecret, answered with an access token that lives expires_in (3600) s;
// internal/hms requests and reads it.
const tokenPath = "/oauth2/v3/token"
