"""Scrapy spiders: one spider walks the registry; platform modules know list-page shapes."""
