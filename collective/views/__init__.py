"""Staff pages of collective subsidy and social sponsorship (notice 001): organisations and their
plans, social sponsorships, rosters with their review and printed forms, and the summary form."""
