"""The site model: pages by kind and language with their translations, the listings (sections,
tags, pagination) and the links between pages, with the check that each one leads somewhere."""
