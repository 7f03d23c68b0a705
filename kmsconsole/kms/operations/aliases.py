"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases."""
