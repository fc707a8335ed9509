"""nianbao: crawl, archive and publish Chinese government information-disclosure annual reports."""
