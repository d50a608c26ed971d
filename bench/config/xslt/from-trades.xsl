<?xml version="1.0" encoding="UTF-8"?>
<!-- The XSLT proxy's response transform: tr:trades/tr:trade back to buyStocksResponse/order. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:tr="urn:junction:bench:trades">
  <xsl:output method="xml" omit-xml-declaration="yes"/>
  <xsl:template match="/tr:trades">
    <buyStocksResponse>
      <xsl:for-each select="tr:trade">
        <order>
          <symbol><xsl:value-of select="tr:ticker"/></symbol>
          <buyerID><xsl:value-of select="tr:buyer"/></buyerID>
          <price><xsl:value-of select="tr:limit"/></price>
          <volume><xsl:value-of select="tr:quantity"/></volume>
        </order>
      </xsl:for-each>
    </buyStocksResponse>
  </xsl:template>
</xsl:stylesheet>
