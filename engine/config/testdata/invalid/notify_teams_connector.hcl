# A retired Office 365 connector URL for Teams.
notify "teams" "old" {
  url = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"
}
# expect: notify_teams_connector.hcl:3:9: Retired Teams connector URL; This is an Office 365 connector webhook (webhook.office.com or outlook.office.com), which Microsoft has retired. In Teams, add the "Post to a channel when a webhook request is received" workflow (Power Automate) and use the URL it gives.
