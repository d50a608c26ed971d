<?xml version="1.0" encoding="UTF-8"?>
<!-- The XSLT proxy's request transform: buyStocks/order → tr:trades/tr:trade, every field renamed. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:tr="urn:junction:bench:trades">
  <xsl:output method="xml" omit-xml-declaration="yes"/>
  <xsl:template match="/buyStocks">
    <tr:trades>
      <xsl:for-each select="order">
        <tr:trade>
          <tr:ticker><xsl:value-of select="symbol"/></tr:ticker>
          <tr:buyer><xsl:value-of select="buyerID"/></tr:buyer>
          <tr:limit><xsl:value-of select="price"/></tr:limit>
          <tr:quantity><xsl:value-of select="volume"/></tr:quantity>
        </tr:trade>
      </xsl:for-each>
    </tr:trades>
  </xsl:template>
</xsl:stylesheet>
