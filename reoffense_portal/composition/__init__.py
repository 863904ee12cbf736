"""The top floor: what composes plans, measures and councils (publishing, the public pages, パブリックコメント,
the PDFs, reminders, dashboards, a prefecture's staff pages). Only reoffense_portal's own modules import it."""
