"""Try Knowhow without a Slack workspace: a local Slack-compatible workspace (`workspace`), the sample
organisation (`sample`), a page and its JSON API on 127.0.0.1 (`server`, API.md), and
`knowhow playground`, which runs them with Knowhow itself (`run`)."""
