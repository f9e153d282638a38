"""Try Knowhow without a Slack workspace: a local Slack-compatible workspace (`workspace`, composed on
`fakeslack` through its public hooks, in parts by concern: `directory`, `messages`, `responses`,
`modals`/`forms`, `interactions`/`elements`, `events`, `reading`), the sample organisation
(`sample`), a page and its JSON API on 127.0.0.1 (`server`, `static/`, API.md), and
`knowhow playground`, which runs them with Knowhow itself (`run`)."""
